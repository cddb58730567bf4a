"""The OCPP-to-MQTT gateway (EMQX's OCPP gateway format), built on the
CentralSystem. Needs the ``gateway`` extra (gmqtt): ``pip install
ocpp16-toolkit[gateway]``. See docs/gateway.md.

    topics.py   topic templates, the emqx4 / emqx5 presets, identity checks
    codec.py    the EMQX JSON payload, both ways, plus ErrorDetails
    mqtt.py     the broker session (gmqtt): QoS 1, persistent, bounded
    bridge.py   one charge point: its CALLs up, the services' CALLs down
    gateway.py  Gateway: the CentralSystem, the bridges, fleet status
"""

from .gateway import Gateway
from .mqtt import BrokerError, BrokerSettings
from .topics import PRESETS, TopicError, TopicScheme

__all__ = ["Gateway", "BrokerError", "BrokerSettings", "PRESETS", "TopicError", "TopicScheme"]

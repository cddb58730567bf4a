"""MQTT topics of the gateway: templates, the EMQX presets, and the checks
that keep one charge point's topics apart from every other topic.

A template is a topic with placeholders: ``${cid}`` (the charge point
identity), ``${action}`` (the OCPP action, upstream CALLs only) and
``${gateway}`` (this gateway's id, gateway status only). The presets
follow EMQX's OCPP gateway defaults where EMQX has the topic, and add the
topics EMQX has not (status, gateway errors):

=====================  ==========================  ============================
topic                   ``emqx4`` (EMQX 4.4)        ``emqx5`` (EMQX 5, mount ocpp/)
=====================  ==========================  ============================
CP's CALLs (up)         ocpp/cp/${cid}/${action}    ocpp/cp/${cid}
CP's CALLRESULTs (up)   ocpp/cp/Reply/${cid}        ocpp/cp/${cid}/Reply
CP's CALLERRORs (up)    ocpp/cp/Error/${cid}        ocpp/cp/${cid}/Reply
services to a CP (down) ocpp/${cid}/+/+             ocpp/cs/${cid}
CP status (retained)    ocpp/cp/Status/${cid}       ocpp/cp/${cid}/Status
gateway errors          ocpp/cp/GatewayError/${cid} ocpp/cp/${cid}/GatewayError
gateway status          ocpp/gw/${gateway}          ocpp/gw/${gateway}
=====================  ==========================  ============================

The downstream topic is a subscription filter: ``+`` and ``#`` levels
are allowed there and nowhere else. Per-action overrides replace the
upstream CALL topic for one action (EMQX's
``ocpp.upstream.topic.BootNotification``).

An identity becomes part of topic names, so it must not contain ``+``,
``#`` or ``/`` (they would change the topic's levels or make a filter a
wildcard), nor NUL. And with EMQX's 4.4 layout, a charge point called
``cp`` would subscribe ``ocpp/cp/+/+``, which catches every other charge
point's upstream traffic; ``TopicScheme.identity_problem`` finds such
overlaps for any templates and the gateway refuses those identities.
"""

PLACEHOLDERS = ("${cid}", "${action}", "${gateway}")

PRESETS = {
    "emqx4": {
        "upstream": "ocpp/cp/${cid}/${action}",
        "reply": "ocpp/cp/Reply/${cid}",
        "error": "ocpp/cp/Error/${cid}",
        "downstream": "ocpp/${cid}/+/+",
        "status": "ocpp/cp/Status/${cid}",
        "gateway_error": "ocpp/cp/GatewayError/${cid}",
        "gateway_status": "ocpp/gw/${gateway}",
    },
    "emqx5": {
        "upstream": "ocpp/cp/${cid}",
        "reply": "ocpp/cp/${cid}/Reply",
        "error": "ocpp/cp/${cid}/Reply",
        "downstream": "ocpp/cs/${cid}",
        "status": "ocpp/cp/${cid}/Status",
        "gateway_error": "ocpp/cp/${cid}/GatewayError",
        "gateway_status": "ocpp/gw/${gateway}",
    },
}

DEFAULT_PRESET = "emqx4"

_FORBIDDEN_IN_IDENTITY = ("+", "#", "/", "\x00")


class TopicError(ValueError):
    """A template that cannot work (names the template and why)."""


def _levels(template):
    return template.split("/")


def _check_template(name, template, wildcards, required=("${cid}",)):
    if not isinstance(template, str) or not template:
        raise TopicError("%s topic: a non-empty string is needed, not %r" % (name, template))
    for placeholder in required:
        if placeholder not in template:
            raise TopicError("%s topic %r: needs %s" % (name, template, placeholder))
    for level in _levels(template):
        if "+" in level or "#" in level:
            if not wildcards:
                raise TopicError(
                    "%s topic %r: wildcards (+, #) only belong in the downstream filter"
                    % (name, template)
                )
            if level not in ("+", "#"):
                raise TopicError("%s topic %r: a wildcard must be a whole level" % (name, template))
    if wildcards and "#" in _levels(template)[:-1]:
        raise TopicError("%s topic %r: # must be the last level" % (name, template))
    if template.startswith("$"):
        raise TopicError("%s topic %r: topics starting with $ are the broker's" % (name, template))


def _as_filter(template):
    """The template with every level holding a placeholder made ``+``: the
    set of topics it can produce, as a filter."""
    levels = []
    for level in _levels(template):
        if "${" in level:
            levels.append("+")
        else:
            levels.append(level)
    return "/".join(levels)


def filters_overlap(first, second):
    """Whether some topic name matches both filters."""
    a = _levels(first)
    b = _levels(second)
    for index in range(max(len(a), len(b))):
        x = a[index] if index < len(a) else None
        y = b[index] if index < len(b) else None
        if x == "#" or y == "#":
            return True
        if x is None or y is None:
            return False
        if x != y and x != "+" and y != "+":
            return False
    return True


def topic_matches(topic_filter, topic):
    """Whether the topic name ``topic`` matches ``topic_filter`` (MQTT 4.7)."""
    levels = _levels(topic)
    pattern = _levels(topic_filter)
    for index, level in enumerate(pattern):
        if level == "#":
            return True
        if index >= len(levels):
            return False
        if level != "+" and level != levels[index]:
            return False
    return len(levels) == len(pattern)


class TopicScheme:
    """The topics of one gateway. ``preset`` names a column of the table
    above; keyword arguments replace single templates; ``overrides`` maps
    action -> upstream CALL template."""

    def __init__(self, preset=DEFAULT_PRESET, overrides=None, **templates):
        if preset not in PRESETS:
            raise TopicError(
                "unknown topic preset %r; known: %s" % (preset, ", ".join(sorted(PRESETS)))
            )
        chosen = dict(PRESETS[preset])
        for name, template in templates.items():
            if name not in chosen:
                raise TopicError("unknown topic %r; known: %s" % (name, ", ".join(sorted(chosen))))
            if template is not None:
                chosen[name] = template
        self.preset = preset
        self.templates = chosen
        self.overrides = dict(overrides or {})
        for name, template in chosen.items():
            if name == "gateway_status":
                _check_template(name, template, False, ("${gateway}",))
            else:
                _check_template(name, template, name == "downstream")
        for action, template in self.overrides.items():
            _check_template("upstream (%s)" % action, template, False)
        for name in ("downstream", "status"):
            if "${cid}" not in _levels(chosen[name]):
                raise TopicError(
                    "%s topic %r: ${cid} must fill a whole level" % (name, chosen[name])
                )
        for name in ("reply", "error", "status", "gateway_error", "downstream"):
            if "${action}" in chosen[name]:
                raise TopicError(
                    "%s topic %r: ${action} is only known for upstream CALLs" % (name, chosen[name])
                )
        self._published_filters = [
            _as_filter(t) for name, t in sorted(chosen.items()) if name != "downstream"
        ] + [_as_filter(t) for _, t in sorted(self.overrides.items())]

    # -------------------------------------------------------- rendering

    def upstream(self, cid, action):
        template = self.overrides.get(action, self.templates["upstream"])
        return template.replace("${cid}", cid).replace("${action}", action)

    def reply(self, cid):
        return self.templates["reply"].replace("${cid}", cid)

    def error(self, cid):
        return self.templates["error"].replace("${cid}", cid)

    def downstream(self, cid):
        """The subscription filter for one charge point's downstream topic."""
        return self.templates["downstream"].replace("${cid}", cid)

    def status(self, cid):
        return self.templates["status"].replace("${cid}", cid)

    def gateway_error(self, cid):
        return self.templates["gateway_error"].replace("${cid}", cid)

    def gateway_status(self, gateway):
        return self.templates["gateway_status"].replace("${gateway}", gateway)

    # -------------------------------------------------------- fleet-wide filters

    def any_downstream(self):
        """Every charge point's downstream topics (the offline desk's filter)."""
        return _as_filter(self.templates["downstream"])

    def any_status(self):
        return _as_filter(self.templates["status"])

    def any_gateway_status(self):
        return _as_filter(self.templates["gateway_status"])

    # -------------------------------------------------------- parsing

    def cid_of(self, name, topic):
        """The identity in ``topic`` for the template ``name`` (one whose
        ``${cid}`` fills a whole level), or None when it does not fit."""
        template_levels = _levels(self.templates[name])
        levels = _levels(topic)
        cid = None
        for index, level in enumerate(template_levels):
            if level == "#":
                break
            if index >= len(levels):
                return None
            if level == "${cid}":
                cid = levels[index]
            elif "${" in level or level == "+":
                continue
            elif level != levels[index]:
                return None
        else:
            if len(levels) != len(template_levels):
                return None
        return cid

    def gateway_of(self, topic):
        """The gateway id in a gateway status topic, or None."""
        template_levels = _levels(self.templates["gateway_status"])
        levels = _levels(topic)
        if len(levels) != len(template_levels):
            return None
        gateway = None
        for template_level, level in zip(template_levels, levels):
            if template_level == "${gateway}":
                gateway = level
            elif template_level != level:
                return None
        return gateway

    # -------------------------------------------------------- identities

    def identity_problem(self, cid):
        """Why ``cid`` cannot be used in these topics, or None."""
        for character in _FORBIDDEN_IN_IDENTITY:
            if character in cid:
                return "charge point identity contains %r, which MQTT topics cannot carry" % (
                    character,
                )
        if not cid:
            return "empty charge point identity"
        mine = self.downstream(cid)
        for published in self._published_filters:
            if filters_overlap(mine, published):
                return (
                    "charge point identity %r: its downstream filter %s would also catch"
                    " topics of the form %s" % (cid, mine, published)
                )
        return None

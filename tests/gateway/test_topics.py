"""Topic templates: presets, overrides, parsing, and the identities the
topics cannot carry."""

import pytest
from ocppj_aio.gateway.topics import (
    PRESETS,
    TopicError,
    TopicScheme,
    filters_overlap,
    topic_matches,
)


def test_emqx4_preset_renders_emqx_defaults():
    topics = TopicScheme("emqx4")
    assert topics.upstream("CP-1", "Heartbeat") == "ocpp/cp/CP-1/Heartbeat"
    assert topics.reply("CP-1") == "ocpp/cp/Reply/CP-1"
    assert topics.error("CP-1") == "ocpp/cp/Error/CP-1"
    assert topics.downstream("CP-1") == "ocpp/CP-1/+/+"
    assert topics.status("CP-1") == "ocpp/cp/Status/CP-1"
    assert topics.gateway_error("CP-1") == "ocpp/cp/GatewayError/CP-1"
    assert topics.gateway_status("gw-1") == "ocpp/gw/gw-1"


def test_emqx5_preset_renders_emqx5_defaults():
    topics = TopicScheme("emqx5")
    assert topics.upstream("CP-1", "Heartbeat") == "ocpp/cp/CP-1"
    assert topics.reply("CP-1") == "ocpp/cp/CP-1/Reply"
    assert topics.error("CP-1") == "ocpp/cp/CP-1/Reply"
    assert topics.downstream("CP-1") == "ocpp/cs/CP-1"


def test_per_action_override_replaces_the_upstream_topic_of_that_action_only():
    topics = TopicScheme("emqx4", overrides={"BootNotification": "ocpp/cp/${cid}/Notify/${action}"})
    assert topics.upstream("CP-1", "BootNotification") == "ocpp/cp/CP-1/Notify/BootNotification"
    assert topics.upstream("CP-1", "Heartbeat") == "ocpp/cp/CP-1/Heartbeat"


def test_single_templates_can_be_replaced():
    topics = TopicScheme("emqx5", reply="replies/${cid}")
    assert topics.reply("A") == "replies/A"
    assert topics.upstream("A", "Heartbeat") == "ocpp/cp/A"


@pytest.mark.parametrize(
    "options, words",
    [
        ({"preset": "emqx9"}, "unknown topic preset"),
        ({"nonsense": "x/${cid}"}, "unknown topic"),
        ({"reply": "replies/all"}, "needs ${cid}"),
        ({"upstream": "up/${cid}/+"}, "wildcards"),
        ({"downstream": "down/x${cid}"}, "whole level"),
        ({"downstream": "down/${cid}/#/x"}, "last level"),
        ({"reply": "r/${cid}/${action}"}, "only known for upstream"),
        ({"upstream": "$SYS/${cid}"}, "broker's"),
        ({"gateway_status": "gw/status"}, "${gateway}"),
    ],
)
def test_templates_that_cannot_work_are_refused_naming_why(options, words):
    preset = options.pop("preset", "emqx4")
    with pytest.raises(TopicError, match=words.replace("$", r"\$").replace("{", r"\{")):
        TopicScheme(preset, **options)


def test_cid_is_read_back_from_downstream_and_status_topics():
    topics = TopicScheme("emqx4")
    assert topics.cid_of("downstream", "ocpp/CP-1/Reply/Heartbeat") == "CP-1"
    assert topics.cid_of("downstream", "ocpp/CP-1/Reply") is None
    assert topics.cid_of("status", "ocpp/cp/Status/CP-1") == "CP-1"
    assert topics.cid_of("status", "ocpp/cp/Reply/CP-1") is None
    assert topics.gateway_of("ocpp/gw/gw-1") == "gw-1"
    assert topics.gateway_of("ocpp/gw/gw-1/x") is None
    five = TopicScheme("emqx5")
    assert five.cid_of("downstream", "ocpp/cs/CP-1") == "CP-1"
    assert five.cid_of("downstream", "ocpp/cs/CP-1/x") is None


@pytest.mark.parametrize("identity", ["a+b", "a#", "a/b", "a\x00b", ""])
def test_identities_that_topics_cannot_carry_are_refused(identity):
    assert TopicScheme("emqx4").identity_problem(identity) is not None


def test_an_identity_whose_downstream_filter_catches_other_topics_is_refused():
    # EMQX 4.4's layout: a charge point "cp" would subscribe ocpp/cp/+/+,
    # which every other charge point's upstream CALLs match.
    problem = TopicScheme("emqx4").identity_problem("cp")
    assert "ocpp/cp/+/+" in problem
    assert TopicScheme("emqx4").identity_problem("CP-1") is None
    assert TopicScheme("emqx5").identity_problem("cp") is None


def test_filters_overlap_and_topic_matching_follow_mqtt_wildcards():
    assert filters_overlap("a/+/c", "a/b/+")
    assert filters_overlap("a/#", "a/b/c/d")
    assert not filters_overlap("a/+/c", "a/b/d")
    assert not filters_overlap("a/b", "a/b/c")
    assert topic_matches("a/+/c", "a/b/c")
    assert topic_matches("a/#", "a/b/c")
    assert not topic_matches("a/+", "a/b/c")
    assert not topic_matches("a/b/c", "a/b")


def test_every_preset_has_every_topic():
    names = set(PRESETS["emqx4"])
    assert all(set(preset) == names for preset in PRESETS.values())

"""The manager's next load or unload: a pure function of the model's versions and their states.

Mirrors tensorflow_serving/core/availability_preserving_policy.cc (GetNextAction): unload an
un-aspired READY version first when that cannot leave the model without a serving version (no
aspired version at all, an aspired one already serving, or more than one un-aspired READY one),
lowest version first; otherwise load the highest aspired version not loaded yet. The server's
default policy (model_servers/server_core.h, ServerCore::Options::aspired_version_policy).
"""
from .loader_harness import NEW, READY


def next_action(versions):
    """``versions``: (version, is_aspired, harness state) of every managed version. Returns
    ("unload", version), ("load", version) or None."""
    versions = list(versions)
    has_aspired = any(aspired for _, aspired, _ in versions)
    aspired_serving = any(aspired and state == READY for _, aspired, state in versions)
    unaspired_ready = sorted(v for v, aspired, state in versions if not aspired and state == READY)
    if unaspired_ready and (not has_aspired or aspired_serving or len(unaspired_ready) > 1):
        return ("unload", unaspired_ready[0])
    new = sorted((v for v, aspired, state in versions if aspired and state == NEW), reverse=True)
    return ("load", new[0]) if new else None

"""Which versions of a model to serve: a pure function of its config and its base path's listing.

Mirrors tensorflow_serving/sources/storage_path/file_system_storage_path_source.cc
(PollFileSystemForServable, AspireVersions for the `all`, `specific` and `latest` version
policies, and the warnings it logs). No I/O here: the manager lists the directory and logs the
warnings returned, so the policy can be tested on any listing.
"""
import os


def parse_version(name):
    """A version directory's number, or None (absl::SimpleAtoi: optional sign, digits, int64 range,
    surrounding whitespace allowed)."""
    s = name.strip()
    body = s[1:] if s[:1] in "+-" else s
    if not body.isdigit() or not body.isascii():
        return None
    v = int(s)
    return v if -2**63 <= v < 2**63 else None


def version_directories(name, base, children):
    """({version: path}, warnings) for the entries ``children`` of ``base`` (sorted, so which of
    two directories of one version wins does not depend on the listing order)."""
    found, warnings = {}, []
    for child in sorted(children):
        v = parse_version(child)
        if v is None:
            continue
        if v in found:
            warnings.append("Duplicate version directories detected. Version %d will be loaded from %s, %s will be "
                            "ignored." % (v, found[v], os.path.join(base, child)))
            continue
        found[v] = os.path.join(base, child)
    if not found:
        warnings.append("No versions of servable %s found under base path %s. Did you forget to name your leaf "
                        "directory as a number (eg. '/1/')?" % (name, base))
    return found, warnings


def aspired_versions(model_config, found):
    """({version: path} to serve, warnings) under the config's model_version_policy (default:
    the latest one version)."""
    policy = model_config.model_version_policy
    which = policy.WhichOneof("policy_choice")
    warnings = []
    if which == "all":
        return dict(found), warnings
    if which == "specific":
        want = list(policy.specific.versions)
        if not want:
            warnings.append("No specific versions requested for servable %s." % model_config.name)
        for v in want:
            if v not in found:
                warnings.append("Version %d of servable %s, which was requested to be served as a 'specific' "
                                "version in the servable's version policy, was not found in the file system"
                                % (v, model_config.name))
        return {v: found[v] for v in want if v in found}, warnings
    n = max(policy.latest.num_versions if which == "latest" else 1, 1)
    return {v: found[v] for v in sorted(found, reverse=True)[:n]}, warnings

"""Ask TF Serving which versions of a model it serves, and wait for the ones you expect: the
way to know a server (or every replica) is ready, instead of sleeping and hoping."""

# --8<-- [start:wait]
import time

import requests


def available_versions(rest_url, model):
    """Versions the model status API reports AVAILABLE ([] while the server starts or loads)."""
    try:
        response = requests.get(f"{rest_url}/v1/models/{model}", timeout=2)
        statuses = response.json()["model_version_status"]
    except (requests.RequestException, ValueError, KeyError):
        return []
    return sorted(int(s["version"]) for s in statuses if s["state"] == "AVAILABLE")


def wait_for_versions(rest_urls, model, versions, timeout=60):
    """Poll each server until it reports exactly `versions` AVAILABLE for `model`."""
    rest_urls = [rest_urls] if isinstance(rest_urls, str) else list(rest_urls)
    deadline = time.monotonic() + timeout
    while True:
        seen = {url: available_versions(url, model) for url in rest_urls}
        if all(found == sorted(versions) for found in seen.values()):
            return seen
        if time.monotonic() > deadline:
            raise TimeoutError(f"{model}: waited {timeout} s for versions {versions}, servers report {seen}")
        time.sleep(0.25)
# --8<-- [end:wait]

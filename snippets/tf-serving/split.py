"""Send a stable slice of users to the canary: the same user always sees the same version, in
every process and on every machine. The bucket comes from hashlib, not from Python's hash(),
which is salted per process (PYTHONHASHSEED) and would move users between versions."""

import hashlib


def label_for(user_id, canary_percent=10):
    """"canary" for about canary_percent % of users, always the same ones; "stable" otherwise."""
    bucket = int(hashlib.sha256(str(user_id).encode()).hexdigest(), 16) % 100
    return "canary" if bucket < canary_percent else "stable"


if __name__ == "__main__":
    labels = [label_for(user) for user in range(10_000)]
    print({label: labels.count(label) for label in ("stable", "canary")},
          "| canary users below 100:", [user for user in range(100) if labels[user] == "canary"])

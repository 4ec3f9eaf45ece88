"""Check a model directory before pointing TF Serving at it: the server wants
<base_path>/<integer version>/saved_model.pb and, given anything else, waits silently."""

# --8<-- [start:check]
from pathlib import Path


def check_base_path(base_path):
    """Return the versions TF Serving would find under base_path, or explain why none."""
    base = Path(base_path)
    if not base.is_dir():
        raise FileNotFoundError(f"{base} does not exist")
    if (base / "saved_model.pb").exists():
        raise ValueError(f"{base} is a SavedModel itself: move it into {base}/1/ "
                         "(TF Serving serves numbered subdirectories of the base path)")
    versions = sorted(int(child.name) for child in base.iterdir()
                      if child.is_dir() and child.name.isdigit() and (child / "saved_model.pb").exists())
    if not versions:
        raise ValueError(f"no <number>/saved_model.pb under {base}: TF Serving would wait forever")
    return versions


print(check_base_path("models/digits_ab"))
model.export("models/unversioned", verbose=False)  # the common mistake: no version directory
try:
    check_base_path("models/unversioned")
except ValueError as error:
    print(error)
# --8<-- [end:check]

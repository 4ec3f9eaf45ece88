"""Check a model base path the way TF Serving's file-system source reads it, before deploying."""

# --8<-- [start:versions]
import re


def servable_versions(base_path):
    """Versions TF Serving would find under base_path: children whose names are integers.

    Same rule as tensorflow_serving/sources/storage_path/file_system_storage_path_source.cc;
    with the default version policy (latest, 1 version) the highest number is served.
    """
    base = Path(base_path)
    if not base.is_dir():
        raise FileNotFoundError(f"Could not find base path {base_path}")
    versions = sorted(int(child.name) for child in base.iterdir()
                      if child.is_dir() and re.fullmatch(r"[0-9]+", child.name))
    for version in versions:
        if not (base / str(version) / "saved_model.pb").is_file():
            raise FileNotFoundError(f"{base / str(version)} has no saved_model.pb: TF Serving would fail to load it")
    return versions


for base_path in ("models/digits", "models/digits/1"):
    versions = servable_versions(base_path)
    if versions:
        print(f"{base_path}: versions {versions}, TF Serving serves {base_path}/{versions[-1]}")
    else:
        print(f"{base_path}: no numeric version directory, TF Serving logs "
              f"'No versions of servable digits found under base path {base_path}'")
# --8<-- [end:versions]

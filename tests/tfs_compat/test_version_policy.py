"""The manager's pure decisions, on listings and states no file system has to produce.

source: tensorflow_serving/sources/storage_path/file_system_storage_path_source.cc (version
directories, the `all` / `specific` / `latest` policies and their warnings) and
tensorflow_serving/core/availability_preserving_policy.cc (GetNextAction)."""

from __future__ import annotations

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from tfs_compat.availability_preserving_policy import next_action
from tfs_compat.loader_harness import ERROR, LOADING_H, NEW, READY
from tfs_compat.storage_path_source import aspired_versions, parse_version, version_directories


def _config(policy=""):
    return text_format.Parse(f'name: "m" base_path: "/b" model_platform: "tensorflow" {policy}',
                             model_server_config_pb2.ModelConfig())


def test_version_directories_are_numbers_and_the_first_of_a_duplicate_wins():
    found, warnings = version_directories("m", "/b", ["2", "x", "01", "1", "-3", "1.5", "１"])
    assert found == {1: "/b/01", 2: "/b/2", -3: "/b/-3"}
    assert warnings == ["Duplicate version directories detected. Version 1 will be loaded from /b/01, /b/1 "
                        "will be ignored."]
    assert parse_version(" 7 ") == 7 and parse_version(str(2**63)) is None


def test_no_version_directory_is_warned_about():
    assert version_directories("m", "/b", ["saved_model.pb", "variables"]) == ({}, [
        "No versions of servable m found under base path /b. Did you forget to name your leaf directory as a "
        "number (eg. '/1/')?"])


def test_the_version_policies():
    found = {1: "/b/1", 2: "/b/2", 3: "/b/3"}
    assert aspired_versions(_config(), found) == ({3: "/b/3"}, [])  # default: latest 1
    assert aspired_versions(_config("model_version_policy { latest { num_versions: 2 } }"), found)[0] == {
        3: "/b/3", 2: "/b/2"}
    assert aspired_versions(_config("model_version_policy { all {} }"), found)[0] == found
    aspired, warnings = aspired_versions(_config("model_version_policy { specific { versions: 1 versions: 5 } }"),
                                         found)
    assert aspired == {1: "/b/1"}
    assert warnings == ["Version 5 of servable m, which was requested to be served as a 'specific' version in "
                        "the servable's version policy, was not found in the file system"]


def test_a_new_version_loads_before_the_old_one_unloads():
    # 1 serving, 2 aspired instead: load 2 first ...
    assert next_action([(1, False, READY), (2, True, NEW)]) == ("load", 2)
    # ... and keep 1 while 2 loads or if it failed ...
    assert next_action([(1, False, READY), (2, True, LOADING_H)]) is None
    assert next_action([(1, False, READY), (2, True, ERROR)]) is None
    # ... then unload 1 once 2 serves.
    assert next_action([(1, False, READY), (2, True, READY)]) == ("unload", 1)


def test_unaspired_versions_go_lowest_first_and_all_go_when_nothing_is_aspired():
    assert next_action([(1, False, READY), (2, False, READY), (3, True, NEW)]) == ("unload", 1)
    assert next_action([(4, False, READY)]) == ("unload", 4)
    assert next_action([(2, True, NEW), (3, True, NEW)]) == ("load", 3)
    assert next_action([(2, True, READY)]) is None

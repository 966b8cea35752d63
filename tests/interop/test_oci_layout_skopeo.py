"""skopeo reads the OCI image layouts that fake_ecr.images writes (``oci:DIR:ref``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from fake_ecr import images


def test_skopeo_inspects_a_written_oci_layout_by_ref(tmp_path: Path) -> None:
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        pytest.fail("install skopeo: apt-get install skopeo")
    built = images.image(
        layers=[{"etc/os-release": "fake"}, {"app/run": "#!/bin/sh"}],
        format="oci",
        architecture="arm64",
        labels={"team": "ecr"},
    )
    images.write_oci_layout(tmp_path, [("v1", built)])

    def inspect(*options: str) -> str:
        command = [skopeo, "inspect", *options, f"oci:{tmp_path}:v1"]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout

    details = json.loads(inspect())

    assert details["Digest"] == built.digest
    assert details["Layers"] == [layer.digest for layer in built.layers]
    assert (details["Architecture"], details["Labels"]) == ("arm64", {"team": "ecr"})
    assert inspect("--raw").encode() == built.manifest

"""One Lambda asset for every function, built without Docker.

All handlers live in the `lambdas` and `inlet_strategies` packages, so a single zip (the two
packages plus requirements/lambda.txt installed for the Lambda platform) serves every function and
a handler keeps its repository path (`lambdas.queue_num.handler`). CDK stages an asset once per
hash, so bundling runs once per synth however many stacks use it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from stacks.config import Architecture

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lambdas", "inlet_strategies")
REQUIREMENTS = "requirements/lambda.txt"
PYTHON_VERSION = "3.12"
RUNTIME = lambda_.Runtime.PYTHON_3_12
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def _source_files() -> list[Path]:
    files = [REPO_ROOT / REQUIREMENTS]
    for package in PACKAGES:
        root = REPO_ROOT / package
        if root.is_dir():
            files += sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [f for f in files if f.exists()]


@cache
def asset_hash(architecture: Architecture) -> str:
    """Hash of exactly what goes into the zip, so the asset (and the templates) stay stable when
    anything else in the repository changes, and CDK never fingerprints the whole repository."""
    digest = hashlib.sha256(f"{PYTHON_VERSION}/{architecture}".encode())
    for path in _source_files():
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class BundlingError(RuntimeError):
    """Local bundling failed. Raised, never answered with False: False sends CDK to Docker."""


def find_uv() -> str:
    """uv installed with the CDK dependencies (the `uv` package, so .venv has it whatever PATH
    says), else the one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
    if found is None:
        raise BundlingError(
            "uv is needed to build the Lambda bundle and was found neither in this Python "
            f"environment ({sys.executable}) nor on PATH: run `make .venv/.installed`, or "
            "`pip install uv` into the environment that runs app.py."
        )
    return found


@jsii.implements(ILocalBundling)
class LocalBundler:
    """Installs the pinned dependencies as manylinux wheels for the target platform and copies the
    sources. Binary wheels only: nothing is compiled on the build machine, so the result runs on
    Lambda whatever the host is."""

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture

    def _install_command(self, output_dir: str) -> list[str]:
        machine = "aarch64" if self.architecture == "arm64" else "x86_64"
        return [
            find_uv(), "pip", "install", "--quiet", "--target", output_dir,
            "--python-platform", f"{machine}-manylinux2014", "--python-version", PYTHON_VERSION,
            "--only-binary", ":all:", "-r", str(REPO_ROOT / REQUIREMENTS),
        ]  # fmt: skip

    # jsii passes the bundling options after the output directory; they are not needed here.
    def try_bundle(self, output_dir: str, *_args: object, **_kwargs: object) -> bool:
        command = self._install_command(output_dir)
        try:
            subprocess.run(command, check=True, cwd=REPO_ROOT)
        except (OSError, subprocess.CalledProcessError) as error:
            raise BundlingError(
                f"building the Lambda bundle failed ({error}); it is built on this machine, never "
                "in Docker: check that the Python package index is reachable."
            ) from error
        for package in PACKAGES:
            source = REPO_ROOT / package
            if source.is_dir():
                shutil.copytree(source, Path(output_dir) / package, ignore=_IGNORE, dirs_exist_ok=True)
        return True


def lambda_code(architecture: Architecture) -> lambda_.Code:
    """The shared asset. CDK demands a Docker image and command; they are never used, because
    local bundling either succeeds or stops the synth with its reason."""
    return lambda_.Code.from_asset(
        str(REPO_ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(architecture),
        bundling=BundlingOptions(
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{PYTHON_VERSION}"),
            local=LocalBundler(architecture),
        ),
    )


def lambda_architecture(architecture: Architecture) -> lambda_.Architecture:
    return lambda_.Architecture.ARM_64 if architecture == "arm64" else lambda_.Architecture.X86_64

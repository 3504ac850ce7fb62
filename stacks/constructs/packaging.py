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


@jsii.implements(ILocalBundling)
class LocalBundler:
    """Installs the pinned dependencies as manylinux wheels for the target platform and copies the
    sources. Binary wheels only: nothing is compiled on the build machine, so the result runs on
    Lambda whatever the host is."""

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture

    def _install_command(self, output_dir: str) -> list[str]:
        machine = "aarch64" if self.architecture == "arm64" else "x86_64"
        requirements = str(REPO_ROOT / REQUIREMENTS)
        uv = shutil.which("uv")
        if uv:
            return [
                uv, "pip", "install", "--quiet", "--target", output_dir,
                "--python-platform", f"{machine}-manylinux2014", "--python-version", PYTHON_VERSION,
                "--only-binary", ":all:", "-r", requirements,
            ]  # fmt: skip
        return [
            sys.executable, "-m", "pip", "install", "--quiet", "--target", output_dir,
            "--platform", f"manylinux2014_{machine}", "--implementation", "cp",
            "--python-version", PYTHON_VERSION, "--only-binary=:all:", "-r", requirements,
        ]  # fmt: skip

    # jsii passes the bundling options after the output directory; they are not needed here.
    def try_bundle(self, output_dir: str, *_args: object, **_kwargs: object) -> bool:
        try:
            subprocess.run(self._install_command(output_dir), check=True, cwd=REPO_ROOT)
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"local bundling failed: {error}", file=sys.stderr)
            return False
        for package in PACKAGES:
            source = REPO_ROOT / package
            if source.is_dir():
                shutil.copytree(source, Path(output_dir) / package, ignore=_IGNORE, dirs_exist_ok=True)
        return True


def lambda_code(architecture: Architecture) -> lambda_.Code:
    """The shared asset. The Docker image is only a fallback CDK demands; it is never pulled when
    local bundling succeeds."""
    return lambda_.Code.from_asset(
        str(REPO_ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(architecture),
        bundling=BundlingOptions(
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{PYTHON_VERSION}"),
            local=LocalBundler(architecture),
            command=[
                "bash",
                "-c",
                f"pip install -q -r {REQUIREMENTS} -t /asset-output && "
                f"cp -r {' '.join(PACKAGES)} /asset-output/",
            ],
        ),
    )


def lambda_architecture(architecture: Architecture) -> lambda_.Architecture:
    return lambda_.Architecture.ARM_64 if architecture == "arm64" else lambda_.Architecture.X86_64

"""The RSA key pair that signs tokens: generated once per deployment, cached once per container.

The private key lives in Secrets Manager as `{"kid": ..., "private_key_pem": ...}`. Parsing a PEM
and building the signing object costs milliseconds, so a container does it once and keeps the
parsed key for every later token.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities import parameters
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from lambdas.waiting_room.settings import settings

# Secrets are read once per container; the cache outlives any Lambda container.
SECRET_MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_jwk: dict[str, Any]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk_of(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": jwk["n"], "e": jwk["e"]}


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint: a stable `kid` derived from the key itself."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def generate_key_material() -> dict[str, str]:
    """A new key pair in the secret's format."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {"kid": thumbprint(private_key.public_key()), "private_key_pem": pem}


def parse_key_material(material: dict[str, str]) -> SigningKey:
    private_key = serialization.load_pem_private_key(material["private_key_pem"].encode(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA key")
    kid = material["kid"]
    return SigningKey(kid, private_key, public_jwk_of(private_key.public_key(), kid))


@cache
def signing_key() -> SigningKey:
    material = parameters.get_secret(
        settings().jwt_secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS
    )
    return parse_key_material(material)

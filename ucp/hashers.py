"""A fast password hasher for secrets the service generates itself.

Django's default hashers are deliberately slow to protect human passwords from brute force. A
platform client secret is 256 random bits, which no brute force can reach, so a salted HMAC-SHA256
protects it equally well if the database leaks, and verifying it costs microseconds instead of the
100+ ms PBKDF2 spends on every platform call. Never use this hasher for human passwords.
"""

import hashlib
import hmac

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare


class MachineSecretHasher(BasePasswordHasher):
    algorithm = "ucp_machine_secret"

    def encode(self, password, salt):
        self._check_encode_args(password, salt)
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded):
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password, encoded):
        pass

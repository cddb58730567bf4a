"""docs/security-profiles.md: the certificate and key files the page names
exist (a throwaway PKI), and the names its fragments take as given:
``MyChargePoint``, ``boot``, ``database`` and ``verify_hash``."""

import os
import shutil
import sys


def setup(session):
    sys.path.insert(0, os.path.join(session.root, "tests", "transport"))
    from ocpp16 import call, protocol
    from ocppj_aio.demo import answering_class
    from transport_certs import Pki

    os.makedirs(os.path.join(session.folder, "pki"))
    pki = Pki(os.path.join(session.folder, "pki"))
    for source, name in (
        (pki.ca, "cpo-root.pem"),
        (pki.server[0], "cs-chain.pem"),
        (pki.server[1], "cs-key.pem"),
        (pki.client("CP-1")[0], "cp-1.pem"),
        (pki.client("CP-1")[1], "cp-1.key"),
    ):
        shutil.copyfile(source, os.path.join(session.folder, name))

    class Database:
        async def charge_point(self, identity):
            return None

    return {
        "MyChargePoint": answering_class(protocol, "CentralSystem"),
        "boot": call.BootNotification(charge_point_vendor="V", charge_point_model="M"),
        "database": Database(),
        "verify_hash": lambda stored, password: False,
    }

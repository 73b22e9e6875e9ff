# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throw-away PKI made at test time: a CA, a server certificate for 127.0.0.1 and client certificates.

Uses the cryptography package, which ansible-core itself requires.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_CN = 'round-robin-checker'


class Pki:
    """Paths of the PEM files written by make_pki()."""

    def __init__(self, directory):
        self.directory = directory
        self.ca = str(directory / 'ca.pem')
        self.server_cert = str(directory / 'server.pem')
        self.server_key = str(directory / 'server.key')
        self.client_cert = str(directory / 'client.pem')
        self.client_key = str(directory / 'client.key')
        self.client_combined = str(directory / 'client-with-key.pem')
        self.stranger_cert = str(directory / 'stranger.pem')
        self.stranger_key = str(directory / 'stranger.key')

    def server_context(self, require_client_cert=False, tls_version=None):
        """Server-side TLS context; with require_client_cert it only talks to clients of our CA.

        tls_version ('TLSv1_2', 'TLSv1_3') pins the protocol version.
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        if tls_version:
            context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, tls_version)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca)
        return context


def make_pki(directory):
    """Write a CA, a server certificate for 127.0.0.1, a client certificate of that CA and one of another CA."""
    pki = Pki(directory)
    ca_key, ca_cert = _authority('envoy_mesh.lab test CA')
    _write(pki.ca, ca_cert)
    server_key, server_cert = _leaf(ca_key, ca_cert, '127.0.0.1', ExtendedKeyUsageOID.SERVER_AUTH,
                                    [x509.IPAddress(ipaddress.ip_address('127.0.0.1')), x509.DNSName('localhost')])
    _write(pki.server_cert, server_cert)
    _write(pki.server_key, server_key)
    client_key, client_cert = _leaf(ca_key, ca_cert, CLIENT_CN, ExtendedKeyUsageOID.CLIENT_AUTH)
    _write(pki.client_cert, client_cert)
    _write(pki.client_key, client_key)
    _write(pki.client_combined, client_cert, client_key)
    other_ca_key, other_ca_cert = _authority('a CA nobody trusts')
    stranger_key, stranger_cert = _leaf(other_ca_key, other_ca_cert, 'stranger', ExtendedKeyUsageOID.CLIENT_AUTH)
    _write(pki.stranger_cert, stranger_cert)
    _write(pki.stranger_key, stranger_key)
    return pki


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject, issuer, public_key):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _authority(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (_builder(_name(common_name), _name(common_name), key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca_key, ca_cert, common_name, usage, alt_names=None):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (_builder(_name(common_name), ca_cert.subject, key.public_key())
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _write(path, *objects):
    with open(path, 'wb') as handle:
        for obj in objects:
            if isinstance(obj, x509.Certificate):
                handle.write(obj.public_bytes(serialization.Encoding.PEM))
            else:
                handle.write(obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))

"""Where a recurring import's files come from: a folder on the server, an HTTPS address (Basic
or Bearer), an SFTP account (a password or a key; the server's host key as first met). Each
source lists the files matching the import's pattern, oldest first, and reads them; a source
that cannot be read says why in an ImportProblem."""

from __future__ import annotations

import base64
import fnmatch
import io
import json
import logging
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import paramiko
import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from requests.auth import HTTPBasicAuth

from campaigns.exceptions import Problem
from campaigns.models import Import
from campaigns.sealing import SealBroken, SealingKeyMissing, unseal

logger = logging.getLogger(__name__)


class ImportProblem(Problem):
    """An import that cannot be set up, or a source that cannot be read, in the reader's words."""


@dataclass(frozen=True)
class SourceFile:
    name: str
    size: int
    modified: datetime | None
    read: Callable[[], bytes]


def _folder_files(imp: Import) -> list[SourceFile]:
    folder = Path(imp.location)
    try:
        entries = [p for p in folder.iterdir() if p.is_file()]
    except FileNotFoundError:
        raise ImportProblem(
            _("The folder %(path)s does not exist: check the import's folder.") % {"path": folder}
        ) from None
    except PermissionError:
        raise ImportProblem(
            _("This server may not read the folder %(path)s: check its permissions.")
            % {"path": folder}
        ) from None
    found = [
        SourceFile(
            p.name,
            p.stat().st_size,
            datetime.fromtimestamp(p.stat().st_mtime, tz=timezone.get_current_timezone()),
            p.read_bytes,
        )
        for p in entries
        if fnmatch.fnmatch(p.name, imp.pattern)
    ]
    return sorted(found, key=lambda f: (f.modified or timezone.now(), f.name))


def _credentials(imp: Import) -> dict[str, object]:
    if not imp.credentials_sealed:
        return {}
    try:
        loaded: dict[str, object] = json.loads(unseal(imp.credentials_sealed))
    except (SealingKeyMissing, SealBroken):
        raise ImportProblem(
            _(
                "The import's credentials cannot be read with CONNECTIONS_KEY: put back the key "
                "they were sealed with, or set them again."
            )
        ) from None
    return loaded


def _url_files(imp: Import) -> list[SourceFile]:
    credentials = _credentials(imp)
    headers = {}
    auth: HTTPBasicAuth | None = None
    if isinstance(bearer := credentials.get("bearer"), str):
        headers["Authorization"] = f"Bearer {bearer}"
    if isinstance(basic := credentials.get("basic"), list) and len(basic) == 2:
        auth = HTTPBasicAuth(str(basic[0]).encode("utf-8"), str(basic[1]).encode("utf-8"))
    try:
        answer = requests.get(
            imp.location,
            headers=headers,
            auth=auth,
            timeout=(settings.THULIUM["CONNECT_TIMEOUT"], settings.THULIUM["READ_TIMEOUT"]),
        )
    except requests.RequestException:
        raise ImportProblem(
            _("%(url)s could not be reached: check the address and that this server reaches it.")
            % {"url": imp.location}
        ) from None
    if answer.status_code in {401, 403}:
        raise ImportProblem(
            _("%(url)s refused us (HTTP %(status)s): check the import's credentials.")
            % {"url": imp.location, "status": answer.status_code}
        )
    if answer.status_code == 404:
        return []
    if answer.status_code >= 400:
        raise ImportProblem(
            _("%(url)s answered HTTP %(status)s instead of a file.")
            % {"url": imp.location, "status": answer.status_code}
        )
    name = _file_name(answer, imp.location)
    if not fnmatch.fnmatch(name, imp.pattern):
        return []
    data = answer.content
    return [SourceFile(name, len(data), None, _held(data))]


def _held(data: bytes) -> Callable[[], bytes]:
    """A file read already (over HTTP or SFTP), handed over as a folder's file is."""
    return lambda: data


def _file_name(answer: requests.Response, url: str) -> str:
    disposition = answer.headers.get("Content-Disposition", "")
    found = re.search(r'filename="?([^";]+)"?', disposition)
    if found:
        return Path(found.group(1)).name
    return Path(unquote(urlsplit(url).path)).name or "download"


def import_source_files(imp: Import) -> list[SourceFile]:
    if imp.source == Import.Source.FOLDER:
        return _folder_files(imp)
    if imp.source == Import.Source.URL:
        return _url_files(imp)
    return _sftp_files(imp)


def _sftp_address(location: str) -> tuple[str, int, str, str]:
    parts = urlsplit(location)
    return (
        parts.hostname or "",
        parts.port or 22,
        unquote(parts.username or ""),
        unquote(parts.path or "/"),
    )


def sftp_host_key(location: str) -> str:
    """The SFTP server's host key, met once when the import is added ("ssh-ed25519 AAAA…")."""
    host, port, _user, _path = _sftp_address(location)
    try:
        with paramiko.Transport((host, port)) as transport:
            transport.start_client(timeout=settings.THULIUM["CONNECT_TIMEOUT"])
            key = transport.get_remote_server_key()
    except (OSError, paramiko.SSHException):
        raise ImportProblem(
            _("The SFTP server %(host)s:%(port)s could not be reached to learn its host key.")
            % {"host": host, "port": port}
        ) from None
    return f"{key.get_name()} {key.get_base64()}"


def private_key(pem: str) -> paramiko.PKey:
    """The kept private key, of whichever kind it is (paramiko reads each kind by its class)."""
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(pem))
        except paramiko.SSHException:
            continue
    raise ImportProblem(
        _("The import's private key cannot be read: give an unencrypted Ed25519, ECDSA or RSA key.")
    )


def _sftp_files(imp: Import) -> list[SourceFile]:
    host, port, user, folder = _sftp_address(imp.location)
    credentials = _credentials(imp)
    client = paramiko.SSHClient()
    kind, _space, encoded = imp.host_key.partition(" ")
    known = paramiko.PKey.from_type_string(kind, base64.b64decode(encoded))
    client.get_host_keys().add(host if port == 22 else f"[{host}]:{port}", kind, known)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    key = private_key(pem) if isinstance(pem := credentials.get("key"), str) else None
    password = credentials.get("password")
    timeout = settings.THULIUM["CONNECT_TIMEOUT"]
    try:
        client.connect(
            host,
            port=port,
            username=user,
            password=password if isinstance(password, str) else None,
            pkey=key,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            allow_agent=False,
            look_for_keys=False,
        )
    except paramiko.AuthenticationException:
        raise ImportProblem(
            _("The SFTP server refused user %(user)s: check the import's password or key.")
            % {"user": user}
        ) from None
    except paramiko.BadHostKeyException:
        raise ImportProblem(
            _(
                "The SFTP server %(host)s answered with another host key than when the import "
                "was added: nothing was taken. If the server's key really changed, add the "
                "import again."
            )
            % {"host": host}
        ) from None
    except (OSError, paramiko.SSHException):
        raise ImportProblem(
            _("The SFTP server %(host)s:%(port)s could not be reached.")
            % {"host": host, "port": port}
        ) from None
    try:
        with client, client.open_sftp() as sftp:
            try:
                entries = sftp.listdir_attr(folder)
            except FileNotFoundError:
                raise ImportProblem(
                    _("The folder %(path)s does not exist on the SFTP server.") % {"path": folder}
                ) from None
            found = []
            for entry in sorted(entries, key=lambda e: (e.st_mtime or 0, e.filename)):
                if stat.S_ISREG(entry.st_mode or 0) and fnmatch.fnmatch(
                    entry.filename, imp.pattern
                ):
                    with sftp.open(f"{folder.rstrip('/')}/{entry.filename}", "rb") as remote:
                        data = remote.read()
                    found.append(SourceFile(entry.filename, len(data), None, _held(data)))
            return found
    except (OSError, paramiko.SSHException) as error:
        if isinstance(error, ImportProblem):
            raise
        raise ImportProblem(
            _("The SFTP server %(host)s broke off while the files were read: %(why)s")
            % {"host": host, "why": error}
        ) from None

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""daftari-server under a service manager, as systemd would drive it (packaging/daftari-server.service):
READY=1 on NOTIFY_SOCKET once it listens, a reload on SIGHUP framed by RELOADING=1 and READY=1 that
applies max-body at once and says which settings wait for a restart, a configuration that no longer
loads keeping the running settings, STOPPING=1 on SIGTERM, and a renewed TLS certificate served
after a reload without a restart (when openssl and glib-networking are there).

Usage: test-server-notify.py [--no-libsystemd]  (DAFTARI_SERVER names the server program)
"""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# The longest any one step may take on a loaded machine; every wait ends as soon as its condition holds.
STEP_TIMEOUT = 60


def fail(message, log_path=None):
    print(f"FAIL: {message}")
    if log_path and os.path.exists(log_path):
        print("--- server log ---")
        print(open(log_path, encoding="utf-8", errors="replace").read())
    sys.exit(1)


def write_config(path, data, port=0, max_body=4096, extra=""):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"[server]\nlisten=127.0.0.1\nport={port}\ndata={data}\nmax-body={max_body}\n{extra}")


def server_env(notify_path):
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    # libsoup warns ("could not get remote address") when a client goes while its refused body
    # is still on the way, as the 413 pushes here do; under fatal-warnings that would abort the
    # server in the middle of the protocol this test watches.
    env.pop("G_DEBUG", None)
    return env


def receive(sock, wanted, log_path):
    """The next notifications until one holds every KEY=VALUE line of wanted."""
    deadline = time.monotonic() + STEP_TIMEOUT
    seen = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            datagram = sock.recv(4096).decode()
        except socket.timeout:
            break
        seen.append(datagram)
        lines = datagram.split("\n")
        if all(w in lines for w in wanted):
            return datagram
    fail(f"no notification with {wanted} (got {seen})", log_path)


def push_status(url, size):
    request = urllib.request.Request(url + "/api/v1/push", data=b"x" * size, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as reply:
            return reply.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_for_log(log_path, text):
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            if text in f.read():
                return
        time.sleep(0.05)
    fail(f"the log never said {text!r}", log_path)


def main():
    server = os.environ.get("DAFTARI_SERVER")
    if not server:
        print("DAFTARI_SERVER is not set")
        return 77
    if "--no-libsystemd" in sys.argv:
        print("SKIP: daftari-server was built without libsystemd")
        return 77

    with tempfile.TemporaryDirectory(prefix="daftari-notify.") as tmp:
        config = os.path.join(tmp, "server.conf")
        log_path = os.path.join(tmp, "server.log")
        data = os.path.join(tmp, "data")
        write_config(config, data)

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock_path = os.path.join(tmp, "notify")
        sock.bind(sock_path)
        env = server_env(sock_path)
        with open(log_path, "w") as log:
            proc = subprocess.Popen([server, "serve", "--config", config], env=env,
                                    stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = proc.stdout.readline()
            if not line.startswith("listening on "):
                fail(f"the server said {line!r} instead of where it listens", log_path)
            url = line.split()[2]

            ready = receive(sock, ["READY=1"], log_path)
            if url not in ready:
                fail(f"the status does not name {url}: {ready!r}", log_path)
            print("ok 1 READY=1 once listening, with the address in STATUS")

            # 3,000 bytes are within max-body=4096: refused for want of a token, not for size.
            status = push_status(url, 3000)
            if status == 413:
                fail("a push under max-body was refused as too large", log_path)

            # A port can only change with a restart; max-body and token-days change at once.
            write_config(config, data, port=1, max_body=2048, extra="token-days=30\n")
            proc.send_signal(signal.SIGHUP)
            receive(sock, ["RELOADING=1"], log_path)
            receive(sock, ["READY=1"], log_path)
            wait_for_log(log_path, "token-days=30")
            wait_for_log(log_path, "port changed from 0 to 1")
            status = push_status(url, 3000)
            if status != 413:
                fail(f"after the reload to max-body=2048 a 3,000-byte push got {status}, not 413",
                     log_path)
            print("ok 2 SIGHUP applies max-body and token-days, and says port needs a restart")

            with open(config, "a", encoding="utf-8") as f:
                f.write("no-such-setting=1\n")
            proc.send_signal(signal.SIGHUP)
            receive(sock, ["RELOADING=1"], log_path)
            receive(sock, ["READY=1", "STATUS=reload failed, see the log; listening on " + url],
                    log_path)
            wait_for_log(log_path, "reload failed")
            if push_status(url, 3000) != 413:
                fail("a failed reload changed the running settings", log_path)
            with urllib.request.urlopen(url + "/api/v1/health", timeout=STEP_TIMEOUT) as reply:
                if reply.status != 200:
                    fail(f"health answered {reply.status} after a failed reload", log_path)
            print("ok 3 a configuration that does not load keeps the running settings")

            proc.send_signal(signal.SIGTERM)
            receive(sock, ["STOPPING=1"], log_path)
            if proc.wait(timeout=STEP_TIMEOUT) != 0:
                fail(f"the server exited with {proc.returncode} after SIGTERM", log_path)
            print("ok 4 STOPPING=1 on SIGTERM, then a clean exit")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    tls = certificate_renewal(server)
    print("1..4" if tls is None else "1..5")
    return 0


def make_certificate(folder, name):
    key, cert = os.path.join(folder, name + ".key"), os.path.join(folder, name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + name, "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def served_certificate(address):
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(address))


def certificate_renewal(server):
    """A certificate renewed in place (same file names) is served after SIGHUP."""
    if shutil.which("openssl") is None:
        print("# no openssl: the certificate renewal is not tried")
        return None
    with tempfile.TemporaryDirectory(prefix="daftari-notify-tls.") as tmp:
        old = make_certificate(tmp, "old")
        new = make_certificate(tmp, "new")
        shutil.copy(old[0], os.path.join(tmp, "cert.pem"))
        shutil.copy(old[1], os.path.join(tmp, "key.pem"))
        config = os.path.join(tmp, "server.conf")
        log_path = os.path.join(tmp, "server.log")
        write_config(config, os.path.join(tmp, "data"),
                     extra="tls-certificate=cert.pem\ntls-key=key.pem\n")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(os.path.join(tmp, "notify"))
        env = server_env(os.path.join(tmp, "notify"))
        with open(log_path, "w") as log:
            proc = subprocess.Popen([server, "serve", "--config", config], env=env,
                                    stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = proc.stdout.readline()
            if not line.startswith("listening on https://"):
                proc.wait(timeout=STEP_TIMEOUT)
                with open(log_path, encoding="utf-8") as f:
                    if "glib-networking" in f.read():
                        print("# no TLS support (glib-networking): the certificate renewal is not tried")
                        return None
                fail(f"the server said {line!r}", log_path)
            host, port = line.split()[2][len("https://"):].rsplit(":", 1)
            address = (host, int(port))
            receive(sock, ["READY=1"], log_path)
            with open(old[0]) as f:
                if served_certificate(address) != ssl.PEM_cert_to_DER_cert(f.read()):
                    fail("the server does not serve the configured certificate", log_path)
            shutil.copy(new[0], os.path.join(tmp, "cert.pem"))
            shutil.copy(new[1], os.path.join(tmp, "key.pem"))
            proc.send_signal(signal.SIGHUP)
            receive(sock, ["READY=1"], log_path)
            with open(new[0]) as f:
                if served_certificate(address) != ssl.PEM_cert_to_DER_cert(f.read()):
                    fail("after a reload the server still serves the old certificate", log_path)
            print("ok 5 a renewed certificate is served after a reload")
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=STEP_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return True


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Build chromium/Dockerfile's image as a plain folder, and run it, without a container engine.

For machines with no Docker or Podman daemon: it reads the Dockerfile and
carries out its instructions itself, so the steps checked are the image's own.

    sudo python3 chromium/rootfs.py build /var/tmp/inndx-rootfs [--build-arg FULL_CHROMIUM=1]
        [--ca-bundle FILE]
    sudo python3 chromium/rootfs.py run /var/tmp/inndx-rootfs [--port 8022] [--read-only]

``build`` makes a Debian root with debootstrap (minbase, shaped like the slim
image: the same apt sources, no documentation or locales), then, stage by
stage, copies it, applies ARG/ENV/COPY/USER/WORKDIR and runs each RUN inside
it. The final stage is left in ``DIR/image`` with its metadata in
``DIR/image.json``, and its size is printed. ``--ca-bundle`` trusts a CA
bundle during RUN steps only (for networks that intercept TLS, like
``docker build --secret``); it is not kept in the image.

``run`` starts the image's ENTRYPOINT + CMD as its USER, as PID 1 of new PID,
mount, IPC and UTS namespaces (bubblewrap), on the host's network, like
``docker run --security-opt seccomp=unconfined``; ``--read-only`` mounts the
image read-only with empty writable ``/tmp`` and WORKDIR, as the Kubernetes
manifest does. Extra arguments after ``--`` replace CMD.

Needs root, debootstrap and bubblewrap (Debian packages of those names), and
apt and PyPI within reach. Supports the instructions chromium/Dockerfile uses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTEXT = HERE.parent
DOCKERFILE = HERE / "Dockerfile"
MIRROR = "http://deb.debian.org/debian"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What Debian's slim images leave out, as dpkg path excludes (copyright files stay).
SLIM_EXCLUDES = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
"""
APT_SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: {release} {release}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: {release}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


@dataclass
class Stage:
    name: str
    root: Path
    args: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=lambda: {"PATH": DEFAULT_PATH})
    user: str = "0:0"
    workdir: str = "/"
    meta: dict[str, object] = field(default_factory=dict)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, rest) pairs, with line continuations joined and comments dropped."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def expand(value: str, variables: dict[str, str]) -> str:
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)",
        lambda m: variables.get(m.group(1) or m.group(2), m.group(0)),
        value,
    )


def say(message: str) -> None:
    print(f"rootfs: {message}", flush=True)


CA_IN_ROOT = "/run/build-ca-bundle.crt"


def bwrap(
    root: Path,
    command: list[str],
    env: dict[str, str],
    *,
    user: str = "0:0",
    workdir: str = "/",
    pid1: bool = False,
    ca_bundle: Path | None = None,
    writable: tuple[str, ...] | None = None,
) -> list[str]:
    """The bubblewrap command that runs ``command`` with ``root`` as its whole file system.

    With ``writable``, the root is read-only and only those folders take writes
    (empty, world-writable, gone afterwards: like Kubernetes' emptyDir volumes).
    """
    uid, _, gid = user.partition(":")
    args = [
        "bwrap",
        "--bind" if writable is None else "--ro-bind",
        str(root),
        "/",
        "--dev-bind",
        "/dev",
        "/dev",
        "--proc",
        "/proc",
        "--ro-bind",
        "/sys",
        "/sys",
        "--ro-bind",
        "/etc/resolv.conf",
        "/etc/resolv.conf",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--hostname",
        "inndx-cdp",
        "--die-with-parent",
        "--clearenv",
        "--chdir",
        workdir,
    ]
    if pid1:
        args.append("--as-pid-1")
    for folder in writable or ():
        args += ["--perms", "1777", "--tmpfs", folder]
    if ca_bundle is not None:
        args += ["--ro-bind", str(ca_bundle), CA_IN_ROOT]
        env = {**env, "PIP_CERT": CA_IN_ROOT, "SSL_CERT_FILE": CA_IN_ROOT}
    for key, value in env.items():
        args += ["--setenv", key, value]
    if uid not in ("0", "root"):
        # setpriv from the image's own util-linux drops root for good.
        command = [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={gid or uid}",
            "--clear-groups",
            "--",
            *command,
        ]
    return [*args, "--", *command]


def base_root(out: Path, release: str) -> Path:
    base = out / f"base-{release}"
    if (base / "etc" / "debian_version").exists():
        return base
    tmp = out / f"base-{release}.partial"
    if not (tmp / "etc" / "debian_version").exists():
        say(f"debootstrap {release} (minbase) into {tmp}")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["debootstrap", "--variant=minbase", release, str(tmp), MIRROR], check=True)
    (tmp / "etc/dpkg/dpkg.cfg.d/slim").write_text(SLIM_EXCLUDES)
    sources = tmp / "etc/apt/sources.list"
    sources.unlink(missing_ok=True)
    (tmp / "etc/apt/sources.list.d/debian.sources").write_text(APT_SOURCES.format(release=release))
    for folder in ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale"):
        for entry in (tmp / folder).glob("*"):
            if folder == "usr/share/doc" and entry.is_dir():
                for item in entry.iterdir():
                    if item.name != "copyright":
                        shutil.rmtree(item) if item.is_dir() else item.unlink()
                continue
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    # Like the slim image: no package lists or downloaded packages.
    for folder in ("var/cache/apt/archives", "var/lib/apt/lists"):
        shutil.rmtree(tmp / folder, ignore_errors=True)
        (tmp / folder / "partial").mkdir(parents=True)
    tmp.rename(base)
    return base


def copy_in(sources: list[Path], dest: str, stage: Stage) -> None:
    target = stage.root / dest.lstrip("/")
    into_folder = dest.endswith("/") or len(sources) > 1
    ignore = shutil.ignore_patterns("__pycache__")
    for source in sources:
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True, ignore=ignore, dirs_exist_ok=True)
        else:
            path = target / source.name if into_folder else target
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path)


def build(out: Path, build_args: dict[str, str], ca_bundle: Path | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    global_args: dict[str, str] = {}
    stages: dict[str, Stage] = {}
    base: Path | None = None
    stage: Stage | None = None
    for word, rest in instructions(DOCKERFILE.read_text()):
        if word == "ARG":
            name, _, default = rest.partition("=")
            target = global_args if stage is None else stage.args
            target[name] = build_args.get(name, global_args.get(name, default))
            continue
        if word == "FROM":
            image, _, name = expand(rest, global_args).partition(" AS ")
            match = re.fullmatch(r"debian:(\w+)-slim", image.strip())
            if not match:
                sys.exit(f"rootfs: only debian:<release>-slim bases are supported, not {image}")
            base = base_root(out, match.group(1))
            name = name.strip() or "image"
            root = out / name
            say(f"stage {name}: fresh copy of {base.name}")
            shutil.rmtree(root, ignore_errors=True)
            subprocess.run(["cp", "-a", str(base), str(root)], check=True)
            stage = stages[name] = Stage(name, root)
            continue
        assert stage is not None, f"{word} before FROM"
        variables = {**stage.env, **stage.args}
        if word == "RUN":
            say(f"stage {stage.name}: RUN {rest[:100]}")
            command = bwrap(
                stage.root,
                ["/bin/sh", "-c", rest],
                variables,
                user=stage.user,
                workdir=stage.workdir,
                ca_bundle=ca_bundle,
            )
            try:
                subprocess.run(command, check=True)
            finally:
                # bubblewrap leaves the mount point of the CA bundle behind: not in the image.
                (stage.root / CA_IN_ROOT.lstrip("/")).unlink(missing_ok=True)
        elif word == "COPY":
            parts = shlex.split(rest)
            origin = CONTEXT
            if parts[0].startswith("--from="):
                origin = stages[parts.pop(0).split("=", 1)[1]].root
            *sources, dest = parts
            copy_in([origin / expand(s, variables).lstrip("/") for s in sources], dest, stage)
        elif word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                stage.env[key] = expand(value, {**stage.env, **stage.args})
        elif word == "USER":
            stage.user = rest if ":" in rest else f"{rest}:{rest}"
        elif word == "WORKDIR":
            stage.workdir = rest
            (stage.root / rest.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif word in ("ENTRYPOINT", "CMD"):
            stage.meta[word.lower()] = json.loads(rest)
        elif word in ("EXPOSE", "HEALTHCHECK"):
            stage.meta[word.lower()] = rest
        else:
            sys.exit(f"rootfs: unsupported instruction {word}")
    assert stage is not None
    final = out / "image"
    if stage.root != final:
        shutil.rmtree(final, ignore_errors=True)
        stage.root.rename(final)
    meta = {"env": stage.env, "user": stage.user, "workdir": stage.workdir, **stage.meta}
    (out / "image.json").write_text(json.dumps(meta, indent=2))
    assert base is not None
    base_size = folder_size(base)
    size = folder_size(final)
    say(
        f"image in {final}: {size / 1e6:.0f} MB ({base_size / 1e6:.0f} MB base + "
        f"{(size - base_size) / 1e6:.0f} MB of the Dockerfile's layers)"
    )


def folder_size(path: Path) -> int:
    result = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(result.stdout.split()[0])


def run(out: Path, port: int | None, command: list[str], read_only: bool = False) -> int:
    meta = json.loads((out / "image.json").read_text())
    env = dict(meta["env"])
    if port is not None:
        env["INNDX_CDP_PORT"] = str(port)
    argv = [*meta.get("entrypoint", []), *(command or meta.get("cmd", []))]
    say(f"running {shlex.join(argv)} as {meta['user']} (PID 1 of its own PID namespace)")
    writable = ("/tmp", meta["workdir"]) if read_only else None
    process = subprocess.Popen(
        bwrap(
            out / "image",
            argv,
            env,
            user=meta["user"],
            workdir=meta["workdir"],
            pid1=True,
            writable=writable,
        )
    )

    def stop(signum: int, frame: object) -> None:
        # To the image's PID 1 (bubblewrap's child), as a container engine's stop does:
        # stopping bubblewrap itself would kill the tree without a drain.
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        for pid in children.read_text().split() if children.exists() else ():
            os.kill(int(pid), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build the image into DIR/image")
    build_cmd.add_argument("dir", type=Path)
    build_cmd.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE")
    build_cmd.add_argument("--ca-bundle", type=Path, help="CA bundle to trust in RUN steps")
    run_cmd = commands.add_parser("run", help="run DIR/image's entrypoint as its user")
    run_cmd.add_argument("dir", type=Path)
    run_cmd.add_argument("--port", type=int, help="INNDX_CDP_PORT (default: the image's)")
    run_cmd.add_argument(
        "--read-only",
        action="store_true",
        help="read-only root; empty writable /tmp and WORKDIR (as the Kubernetes manifest)",
    )
    run_cmd.add_argument("cmd", nargs="*", help="replaces CMD (after --)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("rootfs: needs root (debootstrap and bubblewrap's bind mounts)")
    for tool in ("debootstrap", "bwrap") if args.command == "build" else ("bwrap",):
        if shutil.which(tool) is None:
            sys.exit(f"rootfs: {tool} not found (apt-get install debootstrap bubblewrap)")
    if args.command == "build":
        build_args = dict(arg.split("=", 1) for arg in args.build_arg)
        build(args.dir.resolve(), build_args, args.ca_bundle)
        return 0
    return run(args.dir.resolve(), args.port, args.cmd, args.read_only)


if __name__ == "__main__":
    sys.exit(main())

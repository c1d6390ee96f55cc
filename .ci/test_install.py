"""install.sh and action.yml's steps against a local HTTP server serving a fake
release directory.

Run by .ci/ship with the Python of .ci/venv.sh (ruamel.yaml reads action.yml). The fake
releases hold, for every target the release workflow builds, an archive whose
`cbcheck` is a shell script naming its target, and its .sha256; so an installed binary
says which asset was chosen.
"""

import hashlib
import http.server
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import tomllib
import unittest
import urllib.request
import zipfile
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "install.sh"
REPO_PATH = "/cbcheck/cbcheck"
TARGETS = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
]
LATEST = "0.3.0"
# 0.2.0 was released without an aarch64 Linux binary; 0.3.1's x86_64 Linux archive
# differs from its published checksum.
RELEASES = {"0.2.0": TARGETS[:1] + TARGETS[2:], "0.3.0": TARGETS, "0.3.1": TARGETS}
TAMPERED = ("0.3.1", "x86_64-unknown-linux-musl")
# Tags without a release: GitHub serves a page at releases/tag/<tag> for every tag, the
# Action's v1 included, but no assets under releases/download/<tag>.
TAGS_ONLY = ["1", "0.3"]


def probe(version):
    """The release-only URL install.sh asks before anything else."""
    name = f"cbcheck-{version}-x86_64-unknown-linux-musl.tar.gz.sha256"
    return f"{REPO_PATH}/releases/download/v{version}/{name}"


def fake_binary(version, target):
    """Answers --version as cbcheck does; otherwise names itself and its arguments, and
    exits with $FAKE_EXIT."""
    return (
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo "cbcheck {version}"; exit 0; fi\n'
        f'echo "fake cbcheck {version} {target}" "$@"\n'
        'exit "${FAKE_EXIT:-0}"\n'
    ).encode()


def archive(version, target):
    """(file name, bytes) of the release asset, laid out as release.yml packs it."""
    name = f"cbcheck-{version}-{target}"
    exe = ".exe" if "windows" in target else ""
    files = {
        f"{name}/cbcheck{exe}": fake_binary(version, target),
        f"{name}/README.md": b"# cbcheck\n",
        f"{name}/LICENSE-MIT": b"MIT\n",
    }
    buffer = io.BytesIO()
    if exe:
        with zipfile.ZipFile(buffer, "w") as zipped:
            for path, data in files.items():
                zipped.writestr(path, data)
        return f"{name}.zip", buffer.getvalue()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tarred:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o755
            tarred.addfile(info, io.BytesIO(data))
    return f"{name}.tar.gz", buffer.getvalue()


def release_files():
    files = {}
    for version, targets in RELEASES.items():
        files[f"{REPO_PATH}/releases/tag/v{version}"] = b"<html>release</html>"
        for target in targets:
            name, data = archive(version, target)
            digest = hashlib.sha256(data).hexdigest()
            if (version, target) == TAMPERED:
                digest = hashlib.sha256(b"something else").hexdigest()
            base = f"{REPO_PATH}/releases/download/v{version}/{name}"
            files[base] = data
            files[f"{base}.sha256"] = f"{digest}  {name}\n".encode()
    for tag in TAGS_ONLY:
        files[f"{REPO_PATH}/releases/tag/v{tag}"] = b"<html>tag</html>"
    return files


class FakeReleases(http.server.ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = release_files()
        self.requests = []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path == f"{REPO_PATH}/releases/latest":
            self.send_response(302)
            self.send_header("Location", f"{REPO_PATH}/releases/tag/v{LATEST}")
            self.end_headers()
            return
        body = self.server.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        body = body if body is not None else b"Not Found"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class FakeReleaseCase(unittest.TestCase):
    """A fake release server for the class; a scratch directory and PATH for each test."""

    @classmethod
    def setUpClass(cls):
        cls.server = FakeReleases()
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.repository = f"http://127.0.0.1:{cls.server.server_address[1]}{REPO_PATH}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.work = Path(tempfile.mkdtemp(prefix="cbcheck-install-test."))
        self.addCleanup(shutil.rmtree, self.work)
        self.dest = self.work / "bin"
        self.stubs = self.work / "stubs"
        self.stubs.mkdir()
        self.server.requests.clear()
        # No real cargo: the fallback must reach only the stub a test puts here.
        path = [str(self.stubs)] + [
            d
            for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "cargo").exists()
        ]
        if not any((Path(d) / "unzip").exists() for d in path):
            # A machine without unzip: the standard library's zipfile stands in for it.
            executable(
                self.stubs / "unzip",
                f'#!/bin/sh\nexec "{sys.executable}" -m zipfile -e "$2" "$4"\n',
            )
        self.env = {
            "PATH": os.pathsep.join(path),
            "HOME": str(self.work / "home"),
            "TMPDIR": str(self.work),
            "CBCHECK_REPOSITORY": self.repository,
            "CBCHECK_INSTALL_DIR": str(self.dest),
        }

    def install(self, *args, **env):
        run = subprocess.run(
            ["sh", str(SCRIPT), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return run.returncode, run.stdout, run.stderr

    def run_installed(self, path):
        return subprocess.run(
            [path], capture_output=True, text=True, check=True
        ).stdout.strip()

    def installed(self):
        return sorted(p.name for p in self.dest.iterdir()) if self.dest.exists() else []



class InstallScript(FakeReleaseCase):
    def test_each_os_and_architecture_gets_its_own_asset(self):
        cases = [
            ("Linux", "x86_64", "x86_64-unknown-linux-musl", "cbcheck"),
            ("Linux", "aarch64", "aarch64-unknown-linux-musl", "cbcheck"),
            ("Darwin", "x86_64", "x86_64-apple-darwin", "cbcheck"),
            ("Darwin", "arm64", "aarch64-apple-darwin", "cbcheck"),
            ("MINGW64_NT-10.0-20348", "x86_64", "x86_64-pc-windows-msvc", "cbcheck.exe"),
        ]
        for os_name, arch, target, binary in cases:
            with self.subTest(os=os_name, arch=arch):
                shutil.rmtree(self.dest, ignore_errors=True)
                self.server.requests.clear()
                code, out, err = self.install("0.3.0", CBCHECK_OS=os_name, CBCHECK_ARCH=arch)
                self.assertEqual(code, 0, err)
                self.assertEqual(out.strip(), str(self.dest / binary))
                self.assertEqual(self.installed(), [binary])
                self.assertEqual(self.run_installed(out.strip()), f"fake cbcheck 0.3.0 {target}")
                self.assertIn(f"installed cbcheck 0.3.0 ({target})", err)
                suffix = "zip" if "windows" in target else "tar.gz"
                asset = f"{REPO_PATH}/releases/download/v0.3.0/cbcheck-0.3.0-{target}.{suffix}"
                self.assertEqual(
                    [r for r in self.server.requests if "/download/" in r],
                    [probe("0.3.0"), asset, f"{asset}.sha256"],
                )

    def test_latest_is_what_the_releases_page_redirects_to(self):
        code, out, err = self.install(CBCHECK_OS="Linux", CBCHECK_ARCH="x86_64")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.run_installed(out.strip()), "fake cbcheck 0.3.0 x86_64-unknown-linux-musl")
        self.assertEqual(self.server.requests[0], f"{REPO_PATH}/releases/latest")

    def test_a_v_prefix_and_the_environment_variable_name_the_same_version(self):
        code, out, err = self.install(CBCHECK_VERSION="v0.2.0", CBCHECK_OS="Darwin", CBCHECK_ARCH="arm64")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.run_installed(out.strip()), "fake cbcheck 0.2.0 aarch64-apple-darwin")

    def test_a_checksum_mismatch_is_refused_and_nothing_is_installed(self):
        code, out, err = self.install("0.3.1", CBCHECK_OS="Linux", CBCHECK_ARCH="x86_64")
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertIn("error: checksum mismatch for cbcheck-0.3.1-x86_64-unknown-linux-musl.tar.gz", err)
        self.assertIn("nothing was installed", err)
        self.assertEqual(self.installed(), [])
        # An older binary in place is left as it was.
        self.dest.mkdir()
        executable(self.dest / "cbcheck", "#!/bin/sh\necho old\n")
        code, _, _ = self.install("0.3.1", CBCHECK_OS="Linux", CBCHECK_ARCH="x86_64")
        self.assertEqual(code, 1)
        self.assertEqual(self.installed(), ["cbcheck"])
        self.assertEqual(self.run_installed(str(self.dest / "cbcheck")), "old")

    def test_a_version_that_was_never_released_is_named(self):
        code, out, err = self.install("9.9.9", CBCHECK_OS="Linux", CBCHECK_ARCH="x86_64")
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertIn(
            f"error: cbcheck 9.9.9 is not a release: {self.repository.removesuffix(REPO_PATH)}{probe('9.9.9')} does not exist",
            err,
        )
        self.assertEqual(self.installed(), [])

    def test_a_tag_that_is_not_a_release_is_refused_before_any_build(self):
        # `version: 1` (the Action's tag) or a typo such as 0.3: a tag page exists,
        # but building that tag from source would take minutes and install no release.
        self.stub_cargo()
        for version, os_name, arch in [
            ("1", "FreeBSD", "amd64"),
            ("v1", "Linux", "x86_64"),
            ("0.3", "Linux", "aarch64"),
        ]:
            with self.subTest(version=version, os=os_name):
                self.server.requests.clear()
                code, out, err = self.install(version, CBCHECK_OS=os_name, CBCHECK_ARCH=arch)
                bare = version.removeprefix("v")
                self.assertEqual(code, 1, err)
                self.assertEqual(out, "")
                self.assertIn(f"error: cbcheck {bare} is not a release", err)
                self.assertNotIn("cargo install", err)
                self.assertFalse(self.cargo_log.exists(), "cargo ran")
                self.assertEqual(self.server.requests, [probe(bare)])
                self.assertEqual(self.installed(), [])

    def test_something_that_is_not_a_version_is_refused_before_any_request(self):
        code, _, err = self.install("../../etc", CBCHECK_OS="Linux", CBCHECK_ARCH="x86_64")
        self.assertEqual(code, 1)
        self.assertIn("error: '../../etc' is not a version", err)
        self.assertEqual(self.server.requests, [])

    def stub_cargo(self):
        """A cargo that records its arguments and 'builds' into --root."""
        self.cargo_log = self.work / "cargo-args"
        executable(
            self.stubs / "cargo",
            "#!/bin/sh\n"
            f'printf "%s\\n" "$@" >"{self.cargo_log}"\n'
            'while [ "$1" != --root ]; do shift; done\n'
            'mkdir -p "$2/bin"\n'
            'printf "#!/bin/sh\\necho built from source\\n" >"$2/bin/cbcheck"\n'
            'chmod +x "$2/bin/cbcheck"\n',
        )

    def cargo_args(self):
        args = self.cargo_log.read_text().splitlines()
        root = args.index("--root")
        return args[:root] + args[root + 2 :]

    def test_a_platform_without_a_binary_falls_back_to_cargo_install_with_a_notice(self):
        self.stub_cargo()
        code, out, err = self.install("0.3.0", CBCHECK_OS="FreeBSD", CBCHECK_ARCH="amd64")
        self.assertEqual(code, 0, err)
        self.assertIn(
            "notice: no prebuilt binary for x86_64-FreeBSD: building cbcheck 0.3.0 with cargo install --locked",
            err,
        )
        self.assertEqual(
            self.cargo_args(),
            ["install", "--locked", "--quiet", "--git", self.repository, "--tag", "v0.3.0", "cbcheck"],
        )
        self.assertEqual(self.run_installed(out.strip()), "built from source")
        self.assertEqual([r for r in self.server.requests if "/download/" in r], [probe("0.3.0")])

    def test_a_release_without_this_platforms_asset_falls_back_too(self):
        self.stub_cargo()
        code, out, err = self.install("0.2.0", CBCHECK_OS="Linux", CBCHECK_ARCH="aarch64")
        self.assertEqual(code, 0, err)
        self.assertIn(
            "notice: release 0.2.0 has no cbcheck-0.2.0-aarch64-unknown-linux-musl.tar.gz: building", err
        )
        self.assertEqual(self.run_installed(out.strip()), "built from source")

    def test_the_fallback_without_cargo_says_what_to_install(self):
        code, out, err = self.install("0.3.0", CBCHECK_OS="Linux", CBCHECK_ARCH="riscv64")
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertIn(
            "error: no prebuilt binary for riscv64-unknown-linux-musl, and cargo is not installed", err
        )
        self.assertEqual(self.installed(), [])

    def test_the_tool_cache_is_filled_once_then_reused_without_a_request(self):
        cache = self.work / "toolcache"
        env = {"CBCHECK_TOOL_CACHE": str(cache), "CBCHECK_OS": "Linux", "CBCHECK_ARCH": "x86_64"}
        code, out, err = self.install("0.3.0", **env)
        self.assertEqual(code, 0, err)
        self.assertEqual(out.strip(), str(cache / "cbcheck/0.3.0/x86_64/cbcheck"))
        self.assertTrue((cache / "cbcheck/0.3.0/x86_64.complete").is_file())
        self.server.requests.clear()
        code, out, err = self.install("0.3.0", **env)
        self.assertEqual(code, 0, err)
        self.assertIn("cbcheck 0.3.0 found in the tool cache", err)
        self.assertEqual(self.run_installed(out.strip()), "fake cbcheck 0.3.0 x86_64-unknown-linux-musl")
        self.assertEqual(self.server.requests, [])


class ActionSteps(FakeReleaseCase):
    """action.yml's two steps, run as GitHub runs a `shell: bash` step."""

    def step(self, step_id, **env):
        action = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
        (step,) = [s for s in action["runs"]["steps"] if s.get("id") == step_id]
        script = self.work / f"{step_id}.sh"
        script.write_text(step["run"])
        outputs = self.work / f"{step_id}.outputs"
        outputs.write_text("")
        run = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={**self.env, "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": str(outputs), **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
        return run.returncode, run.stdout, run.stderr, values

    def install(self):
        code, _, err, values = self.step(
            "install",
            CBCHECK_VERSION="latest",
            CBCHECK_TOOL_CACHE=str(self.work / "toolcache"),
            CBCHECK_OS="Linux",
            CBCHECK_ARCH="x86_64",
        )
        self.assertEqual(code, 0, err)
        return values

    def test_the_install_step_fills_the_tool_cache_and_names_the_version(self):
        values = self.install()
        self.assertEqual(values["version"], LATEST)
        self.assertEqual(values["path"], str(self.work / f"toolcache/cbcheck/{LATEST}/x86_64/cbcheck"))

    def test_the_run_step_passes_command_format_args_and_files_as_words(self):
        values = self.install()
        code, out, err, outputs = self.step(
            "run",
            CBCHECK_BIN=values["path"],
            INPUT_COMMAND="verify",
            INPUT_FILES="callbacks.yaml\nenvs/eu.yaml",
            # Shell quoting groups words; nothing is expanded (no glob, no variable).
            INPUT_ARGS="--report sarif=cbcheck.sarif  --app '*' --app \"$HOME\"",
            INPUT_FORMAT="github",
        )
        self.assertEqual(code, 0, err)
        self.assertEqual(
            out.strip(),
            f"fake cbcheck {LATEST} x86_64-unknown-linux-musl verify --format github"
            " --report sarif=cbcheck.sarif --app * --app $HOME callbacks.yaml envs/eu.yaml",
        )
        self.assertEqual(outputs, {"exit-code": "0"})

    def test_unbalanced_quotes_are_refused_before_cbcheck_runs(self):
        values = self.install()
        code, out, _, outputs = self.step(
            "run",
            CBCHECK_BIN=values["path"],
            INPUT_COMMAND="verify",
            INPUT_FILES="callbacks.yaml",
            INPUT_ARGS="--app 'prod",
            INPUT_FORMAT="github",
        )
        self.assertEqual(code, 2)
        self.assertIn("::error title=cbcheck::the args input does not split into words", out)
        self.assertNotIn("fake cbcheck", out)
        self.assertEqual(outputs, {"exit-code": "2"})

    def test_cbchecks_exit_code_fails_the_step_and_is_an_output(self):
        values = self.install()
        code, _, err, outputs = self.step(
            "run",
            CBCHECK_BIN=values["path"],
            INPUT_COMMAND="lint",
            INPUT_FILES="callbacks.yaml",
            INPUT_ARGS="",
            INPUT_FORMAT="github",
            FAKE_EXIT="3",
        )
        self.assertEqual(code, 3, err)
        self.assertEqual(outputs, {"exit-code": "3"})

    def test_an_unknown_command_is_refused(self):
        values = self.install()
        code, out, _, outputs = self.step(
            "run",
            CBCHECK_BIN=values["path"],
            INPUT_COMMAND="deploy",
            INPUT_FILES="callbacks.yaml",
            INPUT_ARGS="--yes",
            INPUT_FORMAT="github",
        )
        self.assertEqual(code, 2)
        self.assertEqual(out, "::error title=cbcheck::the command input must be lint, verify, plan or apply\n")
        self.assertEqual(outputs, {"exit-code": "2"})

    def test_apply_applies_the_reviewed_plan_or_refuses_a_missing_one(self):
        values = self.install()
        plan = self.work / "cbcheck-plan.json"
        code, out, _, outputs = self.step(
            "run",
            CBCHECK_BIN=values["path"],
            INPUT_COMMAND="apply",
            INPUT_FILES="callbacks.yaml",
            INPUT_ARGS="",
            INPUT_FORMAT="github",
            INPUT_PLAN=str(plan),
        )
        self.assertEqual(code, 2)
        self.assertIn(f"the plan {plan} does not exist: nothing was applied", out)
        self.assertNotIn("fake cbcheck", out)
        plan.write_text("{}")
        code, out, err, outputs = self.step(
            "run",
            CBCHECK_BIN=values["path"],
            INPUT_COMMAND="apply",
            INPUT_FILES="callbacks.yaml",
            INPUT_ARGS="",
            INPUT_FORMAT="github",
            INPUT_PLAN=str(plan),
        )
        self.assertEqual(code, 0, err)
        self.assertEqual(
            out.strip(),
            f"fake cbcheck {LATEST} x86_64-unknown-linux-musl apply --plan {plan} --yes"
            " --format human callbacks.yaml",
        )

    def test_plan_verifies_against_the_base_branch_and_writes_the_plan(self):
        values = self.install()
        repo = self.work / "repo"
        repo.mkdir()
        git = lambda *args: subprocess.run(  # noqa: E731
            ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
        )
        git("init", "-q", "-b", "main")
        (repo / "callbacks.yaml").write_text("version: 1 # base\n")
        git("add", ".")
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
        git("update-ref", "refs/remotes/origin/main", "HEAD")
        (repo / "callbacks.yaml").write_text("version: 1 # the pull request\n")
        (repo / "new.yaml").write_text("version: 1 # new\n")
        action = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
        (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
        script = self.work / "run.sh"
        script.write_text(step["run"])
        outputs = self.work / "plan.outputs"
        outputs.write_text("")
        run = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=repo,
            env={
                **self.env,
                "GITHUB_ACTION_PATH": str(ROOT),
                "GITHUB_OUTPUT": str(outputs),
                "GITHUB_BASE_REF": "main",
                "CBCHECK_BIN": values["path"],
                "INPUT_COMMAND": "plan",
                "INPUT_FILES": "callbacks.yaml new.yaml",
                "INPUT_ARGS": "--report sarif=cbcheck.sarif",
                "INPUT_FORMAT": "github",
                "INPUT_PLAN": "plan.json",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(run.returncode, 0, run.stderr)
        words = run.stdout.split()
        self.assertEqual(words[4:7], ["verify", "--format", "github"])
        bases = [words[i + 1] for i, word in enumerate(words) if word == "--base"]
        self.assertEqual(len(bases), 2, run.stdout)
        self.assertEqual(words[-4:], ["--report", "sarif=cbcheck.sarif", "callbacks.yaml", "new.yaml"])
        self.assertEqual(
            (repo / "plan.json").read_text().split()[4:],
            ["apply", "--dry-run", "--format", "json", "callbacks.yaml", "new.yaml"],
        )
        self.assertEqual(outputs.read_text(), "exit-code=0\n")


class BinstallMetadata(FakeReleaseCase):
    """`cargo binstall` finds the same archives: Cargo.toml's [package.metadata.binstall]
    rendered for every target names a served archive holding the binary at bin-dir."""

    def test_every_target_resolves_to_an_archive_with_the_binary(self):
        with open(ROOT / "Cargo.toml", "rb") as manifest:
            binstall = tomllib.load(manifest)["package"]["metadata"]["binstall"]
        for target in TARGETS:
            with self.subTest(target=target):
                meta = {**binstall, **binstall.get("overrides", {}).get(target, {})}
                exe = ".exe" if "windows" in target else ""
                values = {"repo": self.repository, "name": "cbcheck", "version": "0.3.0",
                          "target": target, "bin": "cbcheck", "binary-ext": exe}

                def render(template):
                    for key, value in values.items():
                        template = template.replace("{ " + key + " }", value)
                    self.assertNotIn("{", template)
                    return template

                with urllib.request.urlopen(render(meta["pkg-url"])) as reply:
                    data = reply.read()
                member = render(meta["bin-dir"])
                if meta["pkg-fmt"] == "zip":
                    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
                else:
                    self.assertEqual(meta["pkg-fmt"], "tgz")
                    names = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz").getnames()
                self.assertIn(member, names)


@unittest.skipUnless(sys.platform.startswith("linux"), "the recipe is for Linux hosts")
class PinnedInstallRecipe(FakeReleaseCase):
    """examples/ci/install-pinned.sh: the hash is the caller's, not the release's."""

    recipe = ROOT / "examples/ci/install-pinned.sh"

    def pinned(self, version, sha256):
        run = subprocess.run(
            ["sh", str(self.recipe), version, sha256, str(self.dest)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return run.returncode, run.stdout, run.stderr

    def host_asset(self, version):
        target = f"{os.uname().machine}-unknown-linux-musl"
        self.assertIn(target, RELEASES[version], "the fake release holds this host's target")
        served = self.server.files[
            f"{REPO_PATH}/releases/download/v{version}/cbcheck-{version}-{target}.tar.gz"
        ]
        return target, hashlib.sha256(served).hexdigest()

    def test_the_pinned_hash_installs_the_binary(self):
        self.dest.mkdir()
        target, digest = self.host_asset("0.3.0")
        code, out, err = self.pinned("0.3.0", digest)
        self.assertEqual(code, 0, err)
        self.assertEqual(out.strip(), "cbcheck 0.3.0")
        self.assertEqual(self.installed(), ["cbcheck"])
        self.assertEqual(self.run_installed(str(self.dest / "cbcheck")), f"fake cbcheck 0.3.0 {target}")

    def test_another_hash_is_refused_and_nothing_is_installed(self):
        self.dest.mkdir()
        target, digest = self.host_asset("0.3.0")
        code, out, err = self.pinned("0.3.0", digest.replace(digest[0], "0" if digest[0] != "0" else "1", 1))
        self.assertEqual(code, 1)
        self.assertIn(
            f"install-pinned: cbcheck-0.3.0-{target}.tar.gz does not have the pinned SHA-256: not installed", err
        )
        self.assertEqual(self.installed(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

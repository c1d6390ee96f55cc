"""What .github/workflows/release.yml, the Dockerfile, Cargo.toml's profiles, the
pre-commit hooks and the pull-request recipe promise about a release, checked on the
files: the steps that can run here run as GitHub runs a `shell: bash` step, against
stub `gh` and `docker` commands; the rest is read from the YAML and TOML.

Run by .ci/ship with the Python of .ci/venv.sh (ruamel.yaml). What only a real release
can show is listed in docs/release.md.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import tomllib
import unittest
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


def load(path):
    return YAML(typ="safe").load((ROOT / path).read_text(encoding="utf-8"))


def github_filter(pattern):
    """A regular expression for a GitHub Actions filter pattern (branches, tags): `*`
    any characters but `/`, `**` any, `+` and `?` one-or-more and zero-or-one of the
    character before, `[…]` a class."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c in "+?":
            out += c
        elif c == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
            continue
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + r"\Z")


def executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class Workflow(unittest.TestCase):
    def setUp(self):
        self.workflow = load(".github/workflows/release.yml")
        self.jobs = self.workflow["jobs"]
        self.work = Path(tempfile.mkdtemp(prefix="cbcheck-release-test."))
        self.addCleanup(shutil.rmtree, self.work)
        self.stubs = self.work / "stubs"
        self.stubs.mkdir()

    def jobs_running(self, text):
        """The names of the jobs with a `run:` step that contains the text."""
        return [
            name
            for name, job in self.jobs.items()
            if any(text in step.get("run", "") for step in job["steps"])
        ]

    def step(self, job, name):
        (step,) = [s for s in self.jobs[job]["steps"] if s.get("name") == name]
        return step

    def run_step(self, step, **env):
        """Runs the step's script as GitHub does, with the stubs first on PATH."""
        script = self.work / "step.sh"
        script.write_text(step["run"])
        run = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.work,
            env={
                "PATH": f"{self.stubs}{os.pathsep}{os.environ['PATH']}",
                "HOME": str(self.work),
                "TMPDIR": str(self.work),
                "GITHUB_REPOSITORY": "cbcheck/cbcheck",
                **{k: str(v) for k, v in self.workflow["env"].items()},
                **env,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        return run.returncode, run.stdout, run.stderr

    # §2: the Action's tag must not start a release.
    def test_version_tags_start_a_release_and_the_actions_tag_does_not(self):
        tags = self.workflow["on"]["push"]["tags"]
        patterns = [github_filter(p) for p in tags]

        def starts(tag):
            return any(p.match(tag) for p in patterns)

        for tag in ["v0.1.0", "v1.2.3", "v10.20.30", "v0.2.0-rc.1"]:
            self.assertTrue(starts(tag), f"{tag} does not start a release run ({tags})")
        for tag in [self.workflow["env"]["ACTION_TAG"], "v1", "v2", "v1.2", "latest", "vnext"]:
            self.assertFalse(starts(tag), f"{tag} would start a release run ({tags})")

    # §2: GITHUB_TOKEN may not push a tag whose commit changed a workflow.
    def test_the_actions_tag_is_pushed_with_release_token_or_a_manual_step_is_named(self):
        (job,) = self.jobs_running('refs/tags/$ACTION_TAG"')
        checkout = [s for s in self.jobs[job]["steps"] if s.get("uses", "").startswith("actions/checkout@")]
        self.assertEqual(len(checkout), 1, f"{job}: one checkout")
        self.assertEqual(checkout[0].get("with", {}).get("token"), "${{ secrets.RELEASE_TOKEN }}")
        self.assertIn("release", self.jobs[job]["needs"])
        guard = self.step(job, "RELEASE_TOKEN is set")
        code, out, _ = self.run_step(guard, RELEASE_TOKEN="", GITHUB_REF_NAME="v0.2.0")
        self.assertEqual(code, 1)
        self.assertIn("::error title=v1 not moved::the secret RELEASE_TOKEN", out)
        self.assertIn("git push --force origin refs/tags/v1", out)
        code, out, _ = self.run_step(guard, RELEASE_TOKEN="github_pat_x", GITHUB_REF_NAME="v0.2.0")
        self.assertEqual(code, 0, out)
        for doc in ["README.md", "docs/release.md"]:
            self.assertTrue("RELEASE_TOKEN" in (ROOT / doc).read_text(encoding="utf-8"), f"{doc} names RELEASE_TOKEN")

    # §3: a failed release moves neither :VERSION nor :latest.
    def test_the_image_tags_wait_for_the_release(self):
        tagging = self.jobs_running("imagetools create")
        self.assertTrue(tagging)
        for job in tagging:
            self.assertIn("release", self.jobs[job]["needs"], job)

    # §1: ghcr.io makes a new package private.
    def anonymous_check(self, registry_answers, **env):
        """Runs the last step of the image tagging job with a stub docker that answers
        `manifest inspect` as a registry would, and fails if credentials are in reach."""
        (job,) = self.jobs_running("imagetools create")
        step = self.jobs[job]["steps"][-1]
        log = self.work / "docker.log"
        executable(
            self.stubs / "docker",
            "#!/bin/sh\n"
            f'echo "$*" >>"{log}"\n'
            'config=${DOCKER_CONFIG:-$HOME/.docker}\n'
            'if grep -qs auths "$config/config.json"; then echo "logged in" >&2; exit 9; fi\n'
            f"{registry_answers}\n",
        )
        logged_in = self.work / "logged-in"
        logged_in.mkdir()
        (logged_in / "config.json").write_text('{"auths": {"ghcr.io": {"auth": "x"}}}')
        code, out, err = self.run_step(
            step, VERSION="0.2.0", PRERELEASE="false", DOCKER_CONFIG=str(logged_in), **env
        )
        return code, out, err, log.read_text().splitlines() if log.exists() else []

    def test_the_image_job_ends_with_an_anonymous_pull_that_names_the_fix(self):
        code, out, err, calls = self.anonymous_check(
            'echo "errors: denied: requested access to the resource is denied" >&2; exit 1'
        )
        self.assertEqual(code, 1, err)
        self.assertIn("::error title=image not public::ghcr.io/cbcheck/cbcheck:0.2.0 cannot be pulled without logging in", out)
        self.assertIn("Change visibility, Public", out)
        self.assertEqual(calls, ["manifest inspect ghcr.io/cbcheck/cbcheck:0.2.0"])

    def test_the_anonymous_pull_passes_for_a_public_image_of_both_architectures(self):
        index = json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    {"platform": {"architecture": a, "os": "linux"}} for a in ["amd64", "arm64"]
                ],
            },
            indent=3,
        )
        code, out, err, calls = self.anonymous_check(f"cat <<'EOF'\n{index}\nEOF")
        self.assertEqual(code, 0, out + err)
        self.assertEqual(
            calls,
            [f"manifest inspect ghcr.io/cbcheck/cbcheck:{t}" for t in ["0.2.0", "latest"]],
        )

    # §7: a prerelease as the first tag leaves every install path failing.
    def prerelease_guard(self, gh_answers):
        executable(self.stubs / "gh", f"#!/bin/sh\n{gh_answers}\n")
        step = self.step("check", "A prerelease only after a full release")
        self.assertEqual(step["if"], "steps.version.outputs.prerelease == 'true'")
        return self.run_step(step, GITHUB_REF_NAME="v0.1.0-rc.1", GH_TOKEN="x")

    def test_a_prerelease_before_any_full_release_is_refused(self):
        code, out, _ = self.prerelease_guard('echo "gh: Not Found (HTTP 404)" >&2; exit 1')
        self.assertEqual(code, 1)
        self.assertIn("::error title=prerelease before the first release::v0.1.0-rc.1 is a prerelease", out)

    def test_a_prerelease_after_a_full_release_goes_on(self):
        code, out, err = self.prerelease_guard('echo v0.1.0')
        self.assertEqual(code, 0, out + err)
        self.assertIn("the latest full release is v0.1.0", out)

    def test_an_unreadable_release_list_stops_the_prerelease(self):
        code, out, _ = self.prerelease_guard('echo "gh: Bad credentials (HTTP 401)" >&2; exit 1')
        self.assertEqual(code, 1)
        self.assertIn("::error::cannot list this repository's releases: gh: Bad credentials", out)


class Profiles(unittest.TestCase):
    """§4: source builds are quick; the download is small."""

    def setUp(self):
        with open(ROOT / "Cargo.toml", "rb") as manifest:
            self.profiles = tomllib.load(manifest)["profile"]

    def test_dist_is_release_with_fat_lto_in_one_codegen_unit(self):
        dist = self.profiles["dist"]
        self.assertEqual(dist.get("inherits"), "release")
        self.assertIn(dist.get("lto"), [True, "fat"])
        self.assertEqual(dist.get("codegen-units"), 1)
        release = self.profiles["release"]
        for key in ["strip", "panic", "opt-level"]:
            self.assertIn(key, release, f"dist inherits {key} from release")

    def test_release_builds_quickly(self):
        release = self.profiles["release"]
        self.assertIn(release.get("lto", False), [False, "thin", "off"], "fat LTO in release")
        self.assertNotEqual(release.get("codegen-units"), 1, "one codegen unit in release")

    def test_the_release_archives_hold_the_dist_build(self):
        jobs = load(".github/workflows/release.yml")["jobs"]
        runs = " ".join(s.get("run", "") for s in jobs["build"]["steps"])
        self.assertIn("cargo build --profile dist --locked", runs)
        self.assertNotIn("--release", runs)
        self.assertIn("target/$TARGET/dist/cbcheck", runs)

    def test_ci_checks_the_size_of_the_dist_binary(self):
        jobs = load(".github/workflows/ci.yml")["jobs"]
        runs = [" ".join(s.get("run", "") for s in job["steps"]) for job in jobs.values()]
        self.assertTrue(
            any("cargo build --profile dist --locked" in r and "6000000" in r for r in runs),
            "no CI job builds the dist profile and checks its size",
        )

    def test_the_image_holds_the_dist_build(self):
        dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
        self.assertIn("cargo build --profile dist --locked", dockerfile)
        self.assertIn("target/dist/cbcheck", dockerfile)

    def test_the_benchmark_checks_the_size_of_the_dist_binary(self):
        bench = (ROOT / "benches/fleet.rs").read_text(encoding="utf-8")
        self.assertIn('"dist"', bench)
        for doc in ["docs/performance.md", "CONTRIBUTING.md"]:
            self.assertIn(
                "cargo bench --profile dist --bench fleet",
                (ROOT / doc).read_text(encoding="utf-8"),
                doc,
            )


class Hooks(unittest.TestCase):
    """§4: a pre-commit hook that runs the released binary, beside the source-built one."""

    def test_a_hook_uses_the_released_binary_beside_the_source_built_one(self):
        hooks = load(".pre-commit-hooks.yaml")
        languages = {hook["id"]: hook["language"] for hook in hooks}
        self.assertEqual(languages.get("cbcheck-lint"), "rust")
        released = [i for i, language in languages.items() if language in ("system", "docker_image")]
        self.assertTrue(released, f"no hook runs a released binary: {languages}")
        text = (ROOT / "docs/ci.md").read_text(encoding="utf-8")
        for hook in released:
            self.assertIn(hook, text, "docs/ci.md names every hook")

    def test_the_repository_is_named_as_cargo_toml_names_it(self):
        with open(ROOT / "Cargo.toml", "rb") as manifest:
            repository = tomllib.load(manifest)["package"]["repository"]
        slug = repository.removeprefix("https://github.com/")
        for path in [".pre-commit-hooks.yaml", "README.md", "docs/install.md", "docs/ci.md", "install.sh"]:
            text = (ROOT / path).read_text(encoding="utf-8")
            for found in re.findall(r"github\.com/([\w.-]+/[\w.-]+)", text):
                self.assertEqual(found.removesuffix(".git"), slug, path)


class PullRequestRecipe(unittest.TestCase):
    """§6: upload-sarif in a private repository reads the run's metadata."""

    def test_the_sarif_upload_job_may_read_actions(self):
        recipe = load("examples/ci/github-pull-request.yml")
        uploading = [
            (name, job)
            for name, job in recipe["jobs"].items()
            if any("upload-sarif" in step.get("uses", "") for step in job["steps"])
        ]
        self.assertTrue(uploading)
        for name, job in uploading:
            permissions = job.get("permissions", {})
            for scope, level in [("contents", "read"), ("security-events", "write"), ("actions", "read")]:
                self.assertEqual(permissions.get(scope), level, f"{name}: {scope}")


if __name__ == "__main__":
    unittest.main(verbosity=2)

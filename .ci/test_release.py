"""What a release ships beside the binary promises, checked on the files: Cargo.toml's
profiles and what builds with them, the pre-commit hooks and the pull-request
recipe's permissions.

Run by .ci/ship with the Python of .ci/venv.sh (ruamel.yaml).
"""

import re
import tomllib
import unittest
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


def load(path):
    return YAML(typ="safe").load((ROOT / path).read_text(encoding="utf-8"))


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

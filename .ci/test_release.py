"""What a release ships beside the binary promises, checked on the files: the
pull-request recipe's permissions.

Run by .ci/ship with the Python of .ci/venv.sh (ruamel.yaml).
"""

import unittest
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


def load(path):
    return YAML(typ="safe").load((ROOT / path).read_text(encoding="utf-8"))


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

"""Load hub/z2jh/config.yaml through the Zero to JupyterHub chart's OWN hub configuration
(files/hub/jupyterhub_config.py and z2jh.py of the chart) and print what KubeSpawner gets:
the closest this project can come to `helm install` without a Kubernetes cluster.

    python hub/z2jh/check_with_chart.py CHART_DIR

CHART_DIR is the chart's jupyterhub/ folder from its source (git tag 4.4.0 of
jupyterhub/zero-to-jupyterhub-k8s). Needs jupyterhub, jupyterhub-kubespawner and pycurl
in the Python that runs it (a scratch environment: they are not course dependencies).
Values are merged over the chart's values.yaml as Helm merges them (tests/test_hub.py
checks the same merge against the chart's schema). Exits 1 if a course setting does not
reach KubeSpawner as intended.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def helm_merge(defaults, values):
    if not (isinstance(defaults, dict) and isinstance(values, dict)):
        return values
    merged = dict(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = helm_merge(defaults.get(key), value)
    return merged


def main(chart: Path) -> int:
    from traitlets.config import Config

    values = helm_merge(yaml.safe_load((chart / "values.yaml").read_text()),
                        yaml.safe_load((HERE / "config.yaml").read_text()))
    # what the chart's Secret template adds to the values it hands the hub
    values["Chart"] = {"Name": "jupyterhub", "Version": "4.4.0", "AppVersion": "5.5.0"}
    values["Release"] = {"Name": "dl-course", "Namespace": "dl-course", "Service": "Helm"}
    hub_files = chart / "files" / "hub"
    sys.path.insert(0, str(hub_files))
    import z2jh

    # the hub pod reads these from mounted Secrets/ConfigMaps; hand them over directly
    z2jh._load_config = lambda: values
    z2jh._get_config_value = lambda key: f"dl-course-{key}"
    z2jh.get_secret_value = lambda key, default="never-explicitly-set": "x" * 64
    os.environ.setdefault("DL_COURSE_PROXY_API_SERVICE_PORT", "8001")
    os.environ.setdefault("DL_COURSE_HUB_SERVICE_HOST", "10.0.0.1")
    os.environ.setdefault("DL_COURSE_HUB_SERVICE_PORT", "8081")
    os.environ.setdefault("POD_NAMESPACE", "dl-course")

    # KubeSpawner reads a cluster address when created; give it one that is never contacted
    kubeconfig = Path(os.environ.get("TMPDIR", "/tmp")) / "dl-course-check-kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
        "users": [{"name": "none", "user": {"token": "x"}}]}))
    os.environ["KUBECONFIG"] = str(kubeconfig)

    c = Config()
    namespace = {"get_config": lambda: c, "__file__": str(hub_files / "jupyterhub_config.py"),
                 "load_subconfig": lambda path: None}
    exec(compile((hub_files / "jupyterhub_config.py").read_text(), "jupyterhub_config.py", "exec"), namespace)

    import asyncio

    from kubespawner import KubeSpawner

    async def make():   # KubeSpawner shares its API clients per event loop
        return KubeSpawner(config=c, _mock=True)

    spawner = asyncio.run(make())
    got = {
        "image": spawner.image,
        "cmd": spawner.cmd,
        "default_url": spawner.default_url,
        "mem_limit": spawner.mem_limit, "mem_guarantee": spawner.mem_guarantee,
        "cpu_limit": spawner.cpu_limit, "cpu_guarantee": spawner.cpu_guarantee,
        "environment": {k: v for k, v in spawner.environment.items() if k.startswith(("COURSE", "OMP", "OPENBLAS"))},
        "volumes": spawner.volumes, "volume_mounts": spawner.volume_mounts,
        "storage_capacity": spawner.storage_capacity, "uid": spawner.uid,
        "culler": [s.get("command") for s in c.JupyterHub.services if s.get("name") == "jupyterhub-idle-culler"],
    }
    print(yaml.safe_dump(got, sort_keys=False, width=110))
    course = yaml.safe_load((HERE / "config.yaml").read_text())["singleuser"]
    problems = []
    if spawner.mem_limit != 2 * 1024 ** 3 or spawner.mem_guarantee != 1 * 1024 ** 3:
        problems.append("memory limit/guarantee did not reach KubeSpawner")
    if spawner.cpu_limit != course["cpu"]["limit"] or spawner.cpu_guarantee != course["cpu"]["guarantee"]:
        problems.append("CPU limit/guarantee did not reach KubeSpawner")
    if list(spawner.cmd) != course["cmd"]:
        problems.append("cmd did not reach KubeSpawner")
    mounts = list(spawner.volume_mounts.values() if isinstance(spawner.volume_mounts, dict) else spawner.volume_mounts)
    volumes = list(spawner.volumes.values() if isinstance(spawner.volumes, dict) else spawner.volumes)
    data_mounts = [m for m in mounts if m.get("mountPath") == "/srv/data"]
    data_volumes = [v for v in volumes if data_mounts and v.get("name") == data_mounts[0].get("name")]
    if not data_volumes or not data_volumes[0].get("persistentVolumeClaim", {}).get("readOnly"):
        problems.append("the data volume's claim is not read-only")
    if not data_mounts or not data_mounts[0].get("readOnly"):
        problems.append("the data volume is not mounted read-only at /srv/data")
    home_mounts = [m for m in mounts if m.get("mountPath") == "/home/jovyan"]
    if not home_mounts:
        problems.append("no per-student home volume")
    if spawner.environment.get("COURSE_CACHE_DIR") != "/home/jovyan/.cache/dl-course":
        problems.append("COURSE_CACHE_DIR is not the student's own")
    if not got["culler"] or "--timeout=3600" not in got["culler"][0]:
        problems.append("the idle culler is not configured with the course's timeout")
    for p in problems:
        print("PROBLEM:", p)
    print("OK: the course's values reach KubeSpawner as intended" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

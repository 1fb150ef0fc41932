"""config.json validation: config.schema.json and the spec/ parser must agree.

(a) every config the suite runs (conftest's default_config(), `vse spec` and spec/default.c's
    output) is valid for the schema and for the parser (through the spec-check tool);
(b) a table of invalid configs is rejected by both, and the parser's message names the path.
"""
import copy
import json
import os
import re
import subprocess
import sys

import jsonschema
import pytest

from conftest import REPO, VSE_BIN, default_config

SCHEMA_PATH = os.path.join(REPO, "config.schema.json")
SPEC_CHECK = os.environ.get("SPEC_CHECK_BIN", os.path.join(REPO, "build", "spec", "spec-check"))

DELETE = object()


@pytest.fixture(scope="module")
def validator():
    with open(SCHEMA_PATH) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def spec_check():
    # spec-check is built with the project (spec/meson.build); without it this file tests
    # nothing, so that is a failure, not a skip.
    assert os.access(SPEC_CHECK, os.X_OK), (
        f"spec-check not found at {SPEC_CHECK}: build the project (ninja -C build) or set "
        "SPEC_CHECK_BIN")
    return SPEC_CHECK


def run_check(spec_check, tmp_path, config, mode=None, raw=None):
    path = tmp_path / "config.json"
    path.write_text(raw if raw is not None else json.dumps(config))
    cmd = [spec_check, str(path)] + ([mode] if mode else [])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def schema_errors(validator, config):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(config)]


def assert_valid(validator, spec_check, tmp_path, config, what):
    errs = schema_errors(validator, config)
    assert not errs, f"{what}: schema rejects it: {errs}"
    r = run_check(spec_check, tmp_path, config)
    assert r.returncode == 0 and r.stdout.strip() == "ok", (
        f"{what}: spec-check rejects it: {r.stderr.strip()}")


# ---- (a) the configs the suite uses ----

def test_suite_default_configs_are_valid(validator, spec_check, tmp_path):
    for cfg in (default_config(), default_config(args=["true"], terminal=True),
                default_config(args=["sh", "-c", "echo hi; exit 3"])):
        assert_valid(validator, spec_check, tmp_path, cfg, "conftest default_config()")


@pytest.mark.parametrize("rootless", [False, True])
def test_spec_default_output_is_valid(validator, spec_check, tmp_path, rootless):
    cmd = [spec_check, "--print-default"] + (["--rootless"] if rootless else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=30).stdout
    cfg = json.loads(out)
    assert_valid(validator, spec_check, tmp_path, cfg, f"spec_default_json({rootless})")
    assert cfg["ociVersion"] == "1.3.0"
    assert cfg["hostname"] == "vse"
    assert cfg["process"]["args"] == ["sh"] and cfg["process"]["terminal"] is True
    types = [ns["type"] for ns in cfg["linux"]["namespaces"]]
    if rootless:
        assert "user" in types and "network" not in types
        assert cfg["linux"]["uidMappings"] == [
            {"containerID": 0, "hostID": os.geteuid(), "size": 1}]
        assert cfg["linux"]["gidMappings"] == [
            {"containerID": 0, "hostID": os.getegid(), "size": 1}]
        sys_mount = next(m for m in cfg["mounts"] if m["destination"] == "/sys")
        assert sys_mount["source"] == "/sys" and "rbind" in sys_mount["options"]
        assert not any(m["destination"] == "/sys/fs/cgroup" for m in cfg["mounts"])
        assert "resources" not in cfg["linux"]
    else:
        assert types == ["pid", "network", "ipc", "uts", "mount", "cgroup"]
        assert cfg["linux"]["resources"]["devices"] == [{"allow": False, "access": "rwm"}]
        # the same mounts and paths as runc's default, which conftest mirrors
        assert cfg["mounts"] == default_config()["mounts"]
        assert cfg["linux"]["readonlyPaths"] == default_config()["linux"]["readonlyPaths"]
        assert set(default_config()["linux"]["maskedPaths"]) <= set(cfg["linux"]["maskedPaths"])


@pytest.mark.parametrize("rootless", [False, True])
def test_vse_spec_output_is_valid(validator, spec_check, tmp_path, rootless):
    if not os.access(VSE_BIN, os.X_OK):
        print(f"SKIP REASON: vse binary not built at {VSE_BIN}")
        pytest.skip(f"vse binary not built at {VSE_BIN}")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    cmd = [VSE_BIN, "spec", "--bundle", str(bundle)] + (["--rootless"] if rootless else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((bundle / "config.json").read_text())
    assert_valid(validator, spec_check, tmp_path, cfg, "vse spec")
    # the CLI prints what spec/default.c makes
    cmd = [spec_check, "--print-default"] + (["--rootless"] if rootless else [])
    ref = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert cfg == ref


def full_config():
    cfg = default_config()
    p = cfg["process"]
    p["consoleSize"] = {"height": 24, "width": 80}
    p["user"].update({"umask": 0o22, "additionalGids": [5, 10]})
    p["capabilities"]["ambient"] = ["CAP_KILL"]
    p["capabilities"]["inheritable"] = []
    p["rlimits"].append({"type": "RLIMIT_CORE", "soft": 0, "hard": 18446744073709551615})
    p.update({"oomScoreAdj": 100, "apparmorProfile": "x", "selinuxLabel": "y",
              "scheduler": {"policy": "SCHED_BATCH", "nice": 5,
                            "flags": ["SCHED_FLAG_RESET_ON_FORK"]},
              "ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 7},
              "execCPUAffinity": {"initial": "0", "final": "0-1"}})
    cfg["domainname"] = "example"
    cfg["annotations"] = {"org.example.key": "value"}
    cfg["hooks"] = {h: [{"path": "/bin/true", "args": ["true"], "env": ["A=1"], "timeout": 3}]
                    for h in ("prestart", "createRuntime", "createContainer",
                              "startContainer", "poststart", "poststop")}
    cfg["mounts"].append({"destination": "/mnt", "type": "none", "source": "/srv",
                          "options": ["rbind", "ro", "idmap"],
                          "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
                          "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}]})
    lx = cfg["linux"]
    lx["namespaces"] += [{"type": "user"}, {"type": "time"}]
    lx["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    lx["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    lx["timeOffsets"] = {"monotonic": {"secs": 10, "nanosecs": 0}, "boottime": {"secs": -5}}
    lx["devices"] = [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229,
                      "fileMode": 0o666, "uid": 0, "gid": 0}, {"type": "p", "path": "/dev/p"}]
    lx["cgroupsPath"] = "vse/test"
    lx["rootfsPropagation"] = "rprivate"
    lx["sysctl"] = {"net.ipv4.ip_forward": "1"}
    lx["mountLabel"] = "m"
    lx["personality"] = {"domain": "LINUX"}
    lx["netDevices"] = {"eth1": {"name": "net1"}}
    lx["resources"].update({
        "memory": {"limit": 67108864, "swap": -1, "swappiness": 10, "checkBeforeUpdate": True},
        "cpu": {"shares": 1024, "quota": -1, "period": 100000, "cpus": "0-1", "mems": "0",
                "idle": 0},
        "pids": {"limit": 100},
        "blockIO": {"weight": 100, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}],
                    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
        "network": {"classID": 1, "priorities": [{"name": "eth0", "priority": 1}]},
        "rdma": {"mlx4_0": {"hcaHandles": 1}},
        "unified": {"memory.high": "max"}})
    lx["seccomp"] = {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "listenerPath": "/run/notify.sock", "listenerMetadata": "m",
        "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                     {"names": ["mkdirat"], "action": "SCMP_ACT_NOTIFY"},
                     {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}
    return cfg


def test_full_config_is_valid(validator, spec_check, tmp_path):
    assert_valid(validator, spec_check, tmp_path, full_config(), "full config")


def test_unknown_members_and_nulls_are_accepted(validator, spec_check, tmp_path):
    cfg = default_config()
    cfg["vendorExtension"] = {"anything": [1, 2]}
    cfg["process"]["futureField"] = True
    cfg["linux"]["intelRdt"] = {"closID": "x"}
    cfg["hooks"] = None
    cfg["process"]["rlimits"] = None
    assert_valid(validator, spec_check, tmp_path, cfg, "config with unknown members")


def test_process_and_resources_files(spec_check, tmp_path):
    r = run_check(spec_check, tmp_path, default_config()["process"], "--process")
    assert r.returncode == 0, r.stderr
    r = run_check(spec_check, tmp_path, {"cwd": "/", "user": {"uid": 0, "gid": 0}},
                  "--process")
    assert r.returncode == 1 and r.stderr.startswith("args: must be a non-empty array")
    r = run_check(spec_check, tmp_path, {"memory": {"limit": 1 << 20}}, "--resources")
    assert r.returncode == 0, r.stderr
    r = run_check(spec_check, tmp_path, {"pids": {"limit": "x"}}, "--resources")
    assert r.returncode == 1 and r.stderr.startswith("pids.limit: ")


def test_features_agree_with_schema(validator, spec_check):
    out = subprocess.run([spec_check, "--print-features"], capture_output=True, text=True,
                         check=True).stdout
    feat = json.loads(out)
    defs = validator.schema["$defs"]
    assert feat["ociVersionMin"] == "1.0.0" and feat["ociVersionMax"] == "1.3.0"
    assert set(feat["hooks"]) == set(validator.schema["properties"]["hooks"]["properties"])
    lx = feat["linux"]
    ns_enum = defs["Linux"]["properties"]["namespaces"]["items"]["properties"][
        "type"]["enum"]
    assert set(lx["namespaces"]) == set(ns_enum) - {None}
    # every capability the host reports, the parser (and so the schema) accepts
    assert set(lx["capabilities"]) <= set(defs["CapabilitySet"]["items"]["enum"])
    sc = defs["Seccomp"]["properties"]
    assert set(lx["seccomp"]["actions"]) == set(sc["defaultAction"]["enum"])
    assert set(lx["seccomp"]["supportedFlags"]) <= set(lx["seccomp"]["knownFlags"])
    assert set(lx["seccomp"]["archs"]) <= set(
        sc["architectures"]["items"]["enum"])
    assert lx["mountExtensions"]["idmap"]["enabled"] is True
    if os.access(VSE_BIN, os.X_OK):
        r = subprocess.run([VSE_BIN, "features"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == feat
    else:
        print(f"vse binary not built at {VSE_BIN}: `vse features` not compared")


# ---- (b) invalid configs: schema and parser both reject, the parser names the path ----

def setp(cfg, path, value):
    """Sets (or with DELETE removes) the member at a path like "linux.namespaces[2].type"."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node = cfg
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node.setdefault(part, {})
    last = parts[-1]
    key = int(last[1:-1]) if last.startswith("[") else last
    if value is DELETE:
        del node[key]
    elif isinstance(node, list) and key == len(node):
        node.append(value)
    else:
        node[key] = value
    return cfg


NS3 = [{"type": "pid"}, {"type": "ipc"}, {"type": "nett"}]

INVALID = [
    # (path to change, new value, the parser's message starts with)
    ("ociVersion", "2.0.0", "ociVersion: unsupported version"),
    ("ociVersion", "1.4.0", "ociVersion: unsupported version"),
    ("ociVersion", DELETE, "ociVersion: is required"),
    ("root", DELETE, "root: is required"),
    ("root.path", DELETE, "root.path: is required"),
    ("root.readonly", "yes", "root.readonly: must be a boolean"),
    ("hostname", 1, "hostname: must be a string"),
    ("mounts[1].destination", "dev", "mounts[1].destination: must be an absolute path"),
    ("mounts[0].destination", DELETE, "mounts[0].destination: is required"),
    ("mounts[2].options", "nosuid", "mounts[2].options: must be an array"),
    ("mounts[0].uidMappings", [{"containerID": 0, "hostID": 0, "size": 1}],
     "mounts[0]: uidMappings and gidMappings must be given together"),
    ("hooks", {"prestart": [{"path": "true"}]}, "hooks.prestart[0].path: must be an absolute"),
    ("hooks", {"poststop": [{"path": "/bin/true", "timeout": 0}]},
     "hooks.poststop[0].timeout: must be greater than 0"),
    ("annotations", {"a": 1}, "annotations.a: must be a string"),
    ("process.args", [], "process.args: must be a non-empty array of strings"),
    ("process.args", DELETE, "process.args: must be a non-empty array of strings"),
    ("process.args", [1], "process.args[0]: must be a string"),
    ("process.cwd", "relative", "process.cwd: must be an absolute path"),
    ("process.cwd", DELETE, "process.cwd: is required"),
    ("process.user", DELETE, "process.user: is required"),
    ("process.user.uid", -1, "process.user.uid: must be an integer"),
    ("process.user.gid", 4294967296, "process.user.gid: must be an integer"),
    ("process.terminal", "true", "process.terminal: must be a boolean"),
    ("process.env", ["PATH"], "process.env[0]: must have the form NAME=VALUE"),
    ("process.capabilities.bounding[1]", "CAP_KILLL",
     "process.capabilities.bounding[1]: unknown capability \"CAP_KILLL\""),
    ("process.capabilities.effective[0]", "cap_kill",
     "process.capabilities.effective[0]: unknown capability"),
    ("process.rlimits[0].type", "RLIMIT_FILES",
     "process.rlimits[0].type: unknown rlimit \"RLIMIT_FILES\""),
    ("process.rlimits[0].soft", DELETE, "process.rlimits[0].soft: is required"),
    ("process.rlimits[1]", {"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
     "process.rlimits[1].type: duplicate rlimit"),
    ("process.oomScoreAdj", -1001, "process.oomScoreAdj: must be an integer"),
    ("process.scheduler", {"policy": "SCHED_NORMAL"},
     "process.scheduler.policy: unknown scheduler policy"),
    ("process.scheduler", {"policy": "SCHED_OTHER", "flags": ["RESET_ON_FORK"]},
     "process.scheduler.flags[0]: unknown scheduler flag"),
    ("process.ioPriority", {"class": "IOPRIO_CLASS_BEST", "priority": 0},
     "process.ioPriority.class: unknown I/O priority class"),
    ("process.ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": 9},
     "process.ioPriority.priority: must be an integer from 0 to 7"),
    ("process.execCPUAffinity", {"initial": "a-b"},
     "process.execCPUAffinity.initial: invalid CPU list"),
    ("linux.namespaces", NS3, "linux.namespaces[2].type: unknown namespace \"nett\""),
    ("linux.namespaces[1]", {"type": "pid"}, "linux.namespaces[1].type: duplicate namespace"),
    ("linux.namespaces[1].path", "proc/1/ns/net",
     "linux.namespaces[1].path: must be an absolute path"),
    ("linux.uidMappings", [{"containerID": 0, "hostID": 1000, "size": 1}],
     "linux.uidMappings: requires a new user namespace"),
    ("linux.uidMappings", [{"containerID": 0, "hostID": 1000, "size": 0}],
     "linux.uidMappings[0].size: must be greater than 0"),
    ("linux.timeOffsets", {"realtime": {"secs": 1}}, "linux.timeOffsets.realtime: unknown clock"),
    ("linux.timeOffsets", {"monotonic": {"secs": 1}},
     "linux.timeOffsets: requires a new time namespace"),
    ("linux.devices", [{"type": "z", "path": "/dev/z", "major": 1, "minor": 1}],
     "linux.devices[0].type: unknown device type \"z\""),
    ("linux.devices", [{"type": "c", "path": "/dev/z", "major": 1}],
     "linux.devices[0].minor: is required"),
    ("linux.devices", [{"type": "c", "path": "dev/z", "major": 1, "minor": 1}],
     "linux.devices[0].path: must be an absolute path"),
    ("linux.rootfsPropagation", "everywhere", "linux.rootfsPropagation: unknown propagation"),
    ("linux.maskedPaths[3]", "proc/keys", "linux.maskedPaths[3]: must be an absolute path"),
    ("linux.readonlyPaths", "/proc/sys", "linux.readonlyPaths: must be an array"),
    ("linux.sysctl", {"../../etc": "1"}, "linux.sysctl.../../etc: invalid sysctl name"),
    ("linux.personality", {"domain": "LINUX64"},
     "linux.personality.domain: unknown personality domain"),
    ("linux.netDevices", {"eth0": {"name": "a b"}},
     "linux.netDevices.eth0.name: invalid network interface name"),
    ("linux.netDevices", ["eth0"], "linux.netDevices: must be an object"),
    ("linux.seccomp", {"defaultAction": "SCMP_ACT_NOPE"},
     "linux.seccomp.defaultAction: unknown seccomp action"),
    ("linux.seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["kill"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]},
     "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator"),
    ("linux.seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["amd64"]},
     "linux.seccomp.architectures[0]: unknown seccomp architecture"),
    ("linux.seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]},
     "linux.seccomp.listenerPath: is required when SCMP_ACT_NOTIFY is used"),
    ("linux.resources.devices[0].access", "rwx",
     "linux.resources.devices[0].access: must be a combination of r, w and m"),
    ("linux.resources.devices[0].allow", DELETE, "linux.resources.devices[0].allow: is required"),
    ("linux.resources.memory", {"limit": "1G"}, "linux.resources.memory.limit: must be a number"),
    ("linux.resources.memory", {"swappiness": 200},
     "linux.resources.memory.swappiness: must be an integer from 0 to 100"),
    ("linux.resources.cpu", {"cpus": "0-"}, "linux.resources.cpu.cpus: invalid list"),
    ("linux.resources.blockIO", {"weight": 5000},
     "linux.resources.blockIO.weight: must be an integer from 0 to 1000"),
    ("linux.resources.hugepageLimits", [{"pageSize": "2mb", "limit": 1}],
     "linux.resources.hugepageLimits[0].pageSize: invalid page size"),
    ("linux.resources.unified", {"/etc/passwd": "x"},
     "linux.resources.unified./etc/passwd: not a cgroup file name"),
]


@pytest.mark.parametrize("path,value,message", INVALID,
                         ids=[f"{i:02d}-{c[0]}" for i, c in enumerate(INVALID)])
def test_invalid_config_rejected_by_both(validator, spec_check, tmp_path, path, value,
                                         message):
    cfg = setp(copy.deepcopy(default_config()), path, value)
    assert schema_errors(validator, cfg), f"schema accepts {path}={value!r}"
    r = run_check(spec_check, tmp_path, cfg)
    assert r.returncode == 1, f"spec-check accepts {path}={value!r}: {r.stdout}"
    assert r.stderr.startswith(message), f"message {r.stderr.strip()!r}, want {message!r}"


def test_invalid_json_text(spec_check, tmp_path):
    r = run_check(spec_check, tmp_path, None, raw='{"ociVersion": "1.2.0",')
    assert r.returncode == 1 and r.stderr.startswith("invalid JSON")
    r = run_check(spec_check, tmp_path, None, raw='["not", "an", "object"]')
    assert r.returncode == 1 and r.stderr.startswith("config must be a JSON object")
    # duplicate members: readers disagree on which wins, so the parser refuses them
    raw = json.dumps(default_config())[:-1] + ', "hostname": "other"}'
    r = run_check(spec_check, tmp_path, None, raw=raw)
    assert r.returncode == 1 and r.stderr.startswith("hostname: duplicate key")


def test_schema_file_is_generated(validator):
    """config.schema.json is spec/gen_schema.py's output, so the two cannot drift apart."""
    out = subprocess.run([sys.executable, os.path.join(REPO, "spec", "gen_schema.py")],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    assert json.loads(out) == validator.schema, (
        "config.schema.json is stale: run python3 spec/gen_schema.py > config.schema.json")

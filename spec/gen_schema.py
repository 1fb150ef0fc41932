#!/usr/bin/env python3
"""Writes config.schema.json (print to stdout): the JSON Schema of what spec/ parses.

Run `python3 spec/gen_schema.py > config.schema.json` after changing the parser; the
integration test test_config.py checks the two stay in step.
"""
import json, copy

U32 = 4294967295
U64 = 18446744073709551615
I64MIN, I64MAX = -9223372036854775808, 9223372036854775807

def opt(s):
    """Optional members may also be null (the parser reads null as absent)."""
    s = copy.deepcopy(s)
    if "$ref" in s:
        return {"anyOf": [{"type": "null"}, s]}
    t = s.get("type")
    if isinstance(t, str):
        s["type"] = [t, "null"]
    if "enum" in s:
        s["enum"] = s["enum"] + [None]
    return s

def obj(required=None, **props):
    req = required or []
    o = {"type": "object", "properties": {k: (v if k in req else opt(v)) for k, v in props.items()}}
    if req:
        o["required"] = req
    return o

def arr(items, **kw):
    return dict({"type": "array", "items": items}, **kw)

def ref(name):
    return {"$ref": "#/$defs/" + name}

def intr(lo, hi):
    return {"type": "integer", "minimum": lo, "maximum": hi}

def nonnull_member(name, schema):
    return {"required": [name], "properties": {name: schema}}

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]
RLIMITS = ["RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
           "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE",
           "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING",
           "RLIMIT_STACK"]
NAMESPACES = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]
ACTIONS = ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
           "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
           "SCMP_ACT_NOTIFY"]
OPS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
       "SCMP_CMP_MASKED_EQ"]
ARCHS = ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
         "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
         "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
         "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
         "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
         "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB"]
SECCOMP_FLAGS = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                 "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
SCHED_POLICIES = ["SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO",
                  "SCHED_IDLE", "SCHED_DEADLINE"]
SCHED_FLAGS = ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
               "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
               "SCHED_FLAG_UTIL_CLAMP_MAX"]
PROPAGATIONS = ["shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable",
                "runbindable"]

CPU_LIST = "^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$"

def at_most_once(field, values):
    """No two array items with the same value of `field`."""
    return [{"contains": {"type": "object", "required": [field],
                          "properties": {field: {"const": v}}},
             "minContains": 0, "maxContains": 1} for v in values]

def new_namespace(t):
    """linux.namespaces has an entry of type t with no path (a namespace vse creates)."""
    return {"required": ["namespaces"], "properties": {"namespaces": {
        "type": "array", "contains": {"type": "object", "required": ["type"], "properties": {
            "type": {"const": t}, "path": {"type": "null"}}}}}}

defs = {
    "uint32": intr(0, U32),
    "uint64": intr(0, U64),
    "int64": intr(I64MIN, I64MAX),
    "AbsolutePath": {"type": "string", "pattern": "^/"},
    "ArrayOfStrings": arr({"type": "string"}),
    "MapStringString": {"type": "object", "propertyNames": {"minLength": 1},
                        "additionalProperties": {"type": "string"}},
    "IDMapping": obj(["containerID", "hostID", "size"], containerID=ref("uint32"),
                     hostID=ref("uint32"), size=intr(1, U32)),
    "IDMappings": arr(ref("IDMapping")),
    "Hook": dict(obj(["path"], path=ref("AbsolutePath"), args=ref("ArrayOfStrings"),
                     env=ref("ArrayOfStrings"), timeout=intr(1, I64MAX))),
    "Hooks": arr(ref("Hook")),
    "InterfaceName": {"type": "string", "pattern": "^[^/:\\s]{1,15}$",
                      "not": {"enum": [".", ".."]}},
    "CapabilitySet": arr({"enum": CAPS}),
    "CpuList": {"type": "string", "pattern": CPU_LIST},
}

mount = obj(["destination"], destination=ref("AbsolutePath"), type={"type": "string"},
            source={"type": "string"}, options=ref("ArrayOfStrings"),
            uidMappings=ref("IDMappings"), gidMappings=ref("IDMappings"))
mount["allOf"] = [
    {"if": nonnull_member(a, {"type": "array", "minItems": 1}),
     "then": nonnull_member(b, {"type": "array", "minItems": 1})}
    for a, b in (("uidMappings", "gidMappings"), ("gidMappings", "uidMappings"))]
defs["Mount"] = mount

rlimits = arr(obj(["type", "soft", "hard"], type={"enum": RLIMITS}, soft=ref("uint64"),
                  hard=ref("uint64")))
rlimits["allOf"] = at_most_once("type", RLIMITS)

process = obj(
    ["user", "args", "cwd"],
    terminal={"type": "boolean"},
    consoleSize=obj(["height", "width"], height=intr(0, 65535), width=intr(0, 65535)),
    user=obj(["uid", "gid"], uid=ref("uint32"), gid=ref("uint32"), umask=intr(0, 0o777),
             additionalGids=arr(ref("uint32")), username={"type": "string"}),
    args=arr({"type": "string"}, minItems=1),
    env=arr({"type": "string", "pattern": "^[^=]+="}),
    cwd=ref("AbsolutePath"),
    capabilities=obj(**{k: ref("CapabilitySet") for k in
                        ("bounding", "effective", "inheritable", "permitted", "ambient")}),
    rlimits=rlimits,
    noNewPrivileges={"type": "boolean"},
    apparmorProfile={"type": "string"},
    oomScoreAdj=intr(-1000, 1000),
    selinuxLabel={"type": "string"},
    scheduler=obj(["policy"], policy={"enum": SCHED_POLICIES}, nice=intr(-20, 19),
                  priority=intr(0, 99), flags=arr({"enum": SCHED_FLAGS}),
                  runtime=ref("uint64"), deadline=ref("uint64"), period=ref("uint64")),
    ioPriority=obj(["class", "priority"],
                   **{"class": {"enum": ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                         "IOPRIO_CLASS_IDLE"]},
                      "priority": intr(0, 7)}),
    execCPUAffinity=obj(initial=ref("CpuList"), final=ref("CpuList")),
)
defs["Process"] = process

mem_amount = intr(-1, I64MAX)
weight = intr(0, 1000)
throttle = arr(obj(["major", "minor", "rate"], major=intr(0, I64MAX), minor=intr(0, I64MAX),
                   rate=ref("uint64")))
resources = obj(
    devices=arr(obj(["allow"], allow={"type": "boolean"}, type={"enum": ["a", "c", "b"]},
                    major=intr(-1, I64MAX), minor=intr(-1, I64MAX),
                    access={"type": "string", "pattern": "^[rwm]+$"})),
    memory=obj(limit=mem_amount, reservation=mem_amount, swap=mem_amount, kernel=mem_amount,
               kernelTCP=mem_amount, swappiness=intr(0, 100),
               disableOOMKiller={"type": "boolean"}, useHierarchy={"type": "boolean"},
               checkBeforeUpdate={"type": "boolean"}),
    cpu=obj(shares=ref("uint64"), quota=intr(-1, I64MAX), burst=ref("uint64"),
            period=ref("uint64"), realtimeRuntime=ref("int64"), realtimePeriod=ref("uint64"),
            cpus={"type": "string", "pattern": "^$|" + CPU_LIST},
            mems={"type": "string", "pattern": "^$|" + CPU_LIST}, idle=intr(0, 1)),
    pids=obj(limit=ref("int64")),
    blockIO=obj(weight=weight, leafWeight=weight,
                weightDevice=arr(obj(["major", "minor"], major=intr(0, I64MAX),
                                     minor=intr(0, I64MAX), weight=weight, leafWeight=weight)),
                throttleReadBpsDevice=throttle, throttleWriteBpsDevice=throttle,
                throttleReadIOPSDevice=throttle, throttleWriteIOPSDevice=throttle),
    hugepageLimits=arr(obj(["pageSize", "limit"],
                           pageSize={"type": "string", "pattern": "^[1-9][0-9]*[KMG]B$"},
                           limit=ref("uint64"))),
    network=obj(classID=ref("uint32"),
                priorities=arr(obj(["name", "priority"], name={"type": "string"},
                                   priority=ref("uint32")))),
    unified={"type": "object",
             "propertyNames": {"pattern": "^[^/.][^/]*\\.[^/]*$"},
             "additionalProperties": {"type": "string"}},
)
defs["Resources"] = resources

seccomp = obj(
    ["defaultAction"],
    defaultAction={"enum": ACTIONS},
    defaultErrnoRet=ref("uint32"),
    architectures=arr({"enum": ARCHS}),
    flags=arr({"enum": SECCOMP_FLAGS}),
    listenerPath=ref("AbsolutePath"),
    listenerMetadata={"type": "string"},
    syscalls=arr(obj(["names", "action"],
                     names=arr({"type": "string", "minLength": 1}, minItems=1),
                     action={"enum": ACTIONS}, errnoRet=ref("uint32"),
                     args=arr(obj(["index", "value", "op"], index=intr(0, 5),
                                  value=ref("uint64"), valueTwo=ref("uint64"),
                                  op={"enum": OPS})))),
)
seccomp["if"] = {"anyOf": [
    {"required": ["defaultAction"], "properties": {"defaultAction": {"const": "SCMP_ACT_NOTIFY"}}},
    {"required": ["syscalls"], "properties": {"syscalls": {"type": "array", "contains": {
        "type": "object", "required": ["action"],
        "properties": {"action": {"const": "SCMP_ACT_NOTIFY"}}}}}}]}
seccomp["then"] = nonnull_member("listenerPath", {"type": "string"})
defs["Seccomp"] = seccomp

namespaces = arr(obj(["type"], type={"enum": NAMESPACES}, path=ref("AbsolutePath")))
namespaces["allOf"] = at_most_once("type", NAMESPACES)

clock = obj(secs=ref("int64"), nanosecs=intr(0, 999999999))
device = obj(["type", "path"], type={"enum": ["c", "b", "u", "p"]}, path=ref("AbsolutePath"),
             major=intr(0, I64MAX), minor=intr(0, I64MAX), fileMode=intr(0, 0o7777),
             uid=ref("uint32"), gid=ref("uint32"))
device["if"] = {"required": ["type"], "properties": {"type": {"enum": ["c", "b", "u"]}}}
device["then"] = {"required": ["major", "minor"],
                  "properties": {"major": {"type": "integer"}, "minor": {"type": "integer"}}}

linux = obj(
    namespaces=namespaces,
    uidMappings=ref("IDMappings"),
    gidMappings=ref("IDMappings"),
    timeOffsets={"type": "object", "propertyNames": {"enum": ["monotonic", "boottime"]},
                 "additionalProperties": opt(clock)},
    devices=arr(device),
    cgroupsPath={"type": "string"},
    resources=ref("Resources"),
    rootfsPropagation={"enum": PROPAGATIONS},
    seccomp=ref("Seccomp"),
    sysctl={"type": "object",
            "propertyNames": {"pattern": "^[^/.]", "not": {"pattern": "\\.\\."}},
            "additionalProperties": {"type": "string"}},
    maskedPaths=arr(ref("AbsolutePath")),
    readonlyPaths=arr(ref("AbsolutePath")),
    mountLabel={"type": "string"},
    personality=obj(["domain"], domain={"enum": ["LINUX", "LINUX32"]},
                    flags=ref("ArrayOfStrings")),
    netDevices={"type": "object", "propertyNames": ref("InterfaceName"),
                "additionalProperties": obj(name=ref("InterfaceName"))},
)
linux["allOf"] = [
    {"if": {"anyOf": [nonnull_member(m, {"type": "array", "minItems": 1})
                      for m in ("uidMappings", "gidMappings")]},
     "then": new_namespace("user")},
    {"if": nonnull_member("timeOffsets", {"type": "object", "anyOf": [
        nonnull_member(c, {"type": "object"}) for c in ("monotonic", "boottime")]}),
     "then": new_namespace("time")},
]
defs["Linux"] = linux

schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:vse:config.schema.json",
    "title": "vse container configuration (OCI runtime-spec 1.0 - 1.3, Linux)",
    "description": "What vse's parser (spec/) accepts. Unknown members are allowed; an "
                   "optional member may be null, which means absent. Rules JSON Schema cannot "
                   "state and the parser still enforces: no duplicate member names, "
                   "rlimits soft <= hard, ascending CPU ranges, id mapping ranges within 32 "
                   "bits, distinct container-side netDevices names, integers written without "
                   "a fraction or exponent.",
    "type": "object",
    "required": ["ociVersion", "root"],
    "properties": {
        "ociVersion": {"type": "string",
                       "pattern": "^1\\.[0-3]\\.(0|[1-9][0-9]*)([-+][0-9A-Za-z.+-]+)?$"},
        "root": obj(["path"], path={"type": "string", "minLength": 1},
                    readonly={"type": "boolean"}),
        "hostname": opt({"type": "string"}),
        "domainname": opt({"type": "string"}),
        "mounts": opt(arr(ref("Mount"))),
        "hooks": opt(obj(**{h: ref("Hooks") for h in (
            "prestart", "createRuntime", "createContainer", "startContainer", "poststart",
            "poststop")})),
        "annotations": opt(ref("MapStringString")),
        "process": opt(ref("Process")),
        "linux": opt(ref("Linux")),
    },
    "$defs": defs,
}
print(json.dumps(schema, indent=2))

/* Unit tests of spec/: a full config whose every field is checked after parsing, a table of
 * invalid configs each checked for the JSON path its error must name, the standalone process
 * and resources parsers, spec_load_bundle, and the `vse spec` / `vse features` documents.
 *
 * JSON in the tables is written with single quotes (there are no apostrophes in it) and turned
 * into double quotes before parsing, to keep the tables readable. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "spec/spec.h"

static int failures;
static int checks;

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        checks++;                                                                                 \
        if (!(cond)) {                                                                            \
            failures++;                                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
        }                                                                                         \
    } while (0)

#define CHECK_STR(a, b)                                                                           \
    do {                                                                                          \
        const char *a_ = (a), *b_ = (b);                                                          \
        checks++;                                                                                 \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                    \
            failures++;                                                                           \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)",  \
                    b_ ? b_ : "(null)");                                                          \
        }                                                                                         \
    } while (0)

static char *dq(const char *single_quoted)
{
    char *s = vse_strdup(single_quoted);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    return s;
}

/* ---- a full config ---- */

static const char full_config[] =
    "{'ociVersion':'1.3.0','hostname':'h','domainname':'d','unknownTopLevel':{'x':[1]},"
    "'root':{'path':'rootfs','readonly':true},"
    "'annotations':{'a.b':'c','e':''},"
    "'process':{'terminal':true,'consoleSize':{'height':24,'width':80},"
    " 'user':{'uid':1000,'gid':1001,'umask':18,'additionalGids':[5,6]},"
    " 'args':['sh','-c','true'],'env':['PATH=/bin','EMPTY='],'cwd':'/tmp',"
    " 'capabilities':{'bounding':['CAP_KILL','CAP_SYS_ADMIN'],'effective':['CAP_KILL'],"
    "   'inheritable':[],'permitted':['CAP_KILL'],'ambient':['CAP_CHECKPOINT_RESTORE']},"
    " 'rlimits':[{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096},"
    "   {'type':'RLIMIT_CORE','soft':0,'hard':18446744073709551615}],"
    " 'noNewPrivileges':true,'apparmorProfile':'p','oomScoreAdj':-500,'selinuxLabel':'l',"
    " 'scheduler':{'policy':'SCHED_FIFO','priority':10,'nice':-3,"
    "   'flags':['SCHED_FLAG_RESET_ON_FORK','SCHED_FLAG_UTIL_CLAMP_MAX']},"
    " 'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':4},"
    " 'execCPUAffinity':{'initial':'0-1,3','final':'0'}},"
    "'mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
    " {'destination':'/data','type':'none','source':'/srv','options':['rbind','ro'],"
    "  'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
    "  'gidMappings':[{'containerID':0,'hostID':100000,'size':65536}]}],"
    "'hooks':{'prestart':[{'path':'/bin/a'}],'createRuntime':[{'path':'/bin/b','args':['b','1'],"
    "  'env':['X=1'],'timeout':5}],'createContainer':[],'startContainer':[{'path':'/c'}],"
    "  'poststart':[{'path':'/d'}],'poststop':[{'path':'/e'},{'path':'/f'}]},"
    "'linux':{'namespaces':[{'type':'pid'},{'type':'network','path':'/run/netns/x'},"
    "   {'type':'user'},{'type':'time'},{'type':'mount'},{'type':'ipc'},{'type':'uts'},"
    "   {'type':'cgroup'}],"
    " 'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
    " 'gidMappings':[{'containerID':0,'hostID':1000,'size':1},"
    "   {'containerID':1,'hostID':200000,'size':1000}],"
    " 'timeOffsets':{'monotonic':{'secs':-10,'nanosecs':5},'boottime':{'secs':86400}},"
    " 'devices':[{'type':'c','path':'/dev/fuse','major':10,'minor':229,'fileMode':438,"
    "   'uid':0,'gid':0},{'type':'p','path':'/dev/fifo'}],"
    " 'cgroupsPath':'/vse/x','rootfsPropagation':'rslave','mountLabel':'m',"
    " 'sysctl':{'net.ipv4.ip_forward':'1'},"
    " 'maskedPaths':['/proc/kcore'],'readonlyPaths':['/proc/sys','/proc/bus'],"
    " 'personality':{'domain':'LINUX32','flags':[]},"
    " 'netDevices':{'eth1':{'name':'net0'},'dummy0':{}},"
    " 'resources':{'devices':[{'allow':false,'access':'rwm'},"
    "     {'allow':true,'type':'c','major':1,'minor':3,'access':'rw'}],"
    "   'memory':{'limit':1048576,'swap':-1,'swappiness':60,'disableOOMKiller':false,"
    "     'checkBeforeUpdate':true},"
    "   'cpu':{'shares':512,'quota':50000,'period':100000,'cpus':'0-1','mems':'','idle':1},"
    "   'pids':{'limit':64},"
    "   'blockIO':{'weight':500,'weightDevice':[{'major':8,'minor':0,'weight':300}],"
    "     'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1000}],"
    "     'throttleWriteIOPSDevice':[{'major':8,'minor':16,'rate':20}]},"
    "   'hugepageLimits':[{'pageSize':'2MB','limit':0}],"
    "   'network':{'classID':1048577,'priorities':[{'name':'eth0','priority':5}]},"
    "   'rdma':{'mlx5_1':{'hcaHandles':3}},"
    "   'unified':{'memory.high':'max','io.weight':'100'}},"
    " 'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
    "   'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],"
    "   'flags':['SECCOMP_FILTER_FLAG_LOG'],'listenerPath':'/run/agent.sock',"
    "   'listenerMetadata':'meta',"
    "   'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
    "     {'names':['mkdir'],'action':'SCMP_ACT_NOTIFY'},"
    "     {'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':8,"
    "       'valueTwo':0,'op':'SCMP_CMP_MASKED_EQ'}]},"
    "     {'names':['kill'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]}}}";

static void check_full_process(const struct spec_process *p)
{
    CHECK(p->terminal);
    CHECK(p->has_console_size && p->console_height == 24 && p->console_width == 80);
    CHECK(p->user.uid == 1000 && p->user.gid == 1001);
    CHECK(p->user.umask.set && p->user.umask.value == 18);
    CHECK(p->user.n_additional_gids == 2 && p->user.additional_gids[1] == 6);
    CHECK(vse_strv_len(p->args) == 3);
    CHECK_STR(p->args[2], "true");
    CHECK_STR(p->env[1], "EMPTY=");
    CHECK_STR(p->cwd, "/tmp");
    CHECK(p->capabilities != NULL);
    CHECK(p->capabilities->bounding == ((1ULL << CAP_KILL) | (1ULL << CAP_SYS_ADMIN)));
    CHECK(p->capabilities->effective == (1ULL << CAP_KILL));
    CHECK(p->capabilities->inheritable == 0);
    CHECK(p->capabilities->ambient == (1ULL << CAP_CHECKPOINT_RESTORE));
    CHECK(p->n_rlimits == 2);
    CHECK(p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024 &&
          p->rlimits[0].hard == 4096);
    CHECK_STR(p->rlimits[1].type, "RLIMIT_CORE");
    CHECK(p->rlimits[1].hard == UINT64_MAX);
    CHECK(p->no_new_privileges);
    CHECK_STR(p->apparmor_profile, "p");
    CHECK_STR(p->selinux_label, "l");
    CHECK(p->oom_score_adj.set && p->oom_score_adj.value == -500);
    CHECK(p->scheduler && p->scheduler->policy == SPEC_SCHED_FIFO);
    CHECK(p->scheduler->priority == 10 && p->scheduler->nice == -3);
    CHECK(p->scheduler->flags == (0x01 | 0x40));
    CHECK(p->io_priority.set && p->io_priority.klass == 2 && p->io_priority.priority == 4);
    CHECK_STR(p->exec_cpu_affinity_initial, "0-1,3");
    CHECK_STR(p->exec_cpu_affinity_final, "0");
}

static void check_full_top(const struct spec *s)
{
    CHECK_STR(s->oci_version, "1.3.0");
    CHECK_STR(s->hostname, "h");
    CHECK_STR(s->domainname, "d");
    CHECK(s->root && s->root->readonly);
    CHECK_STR(s->root->path, "rootfs");
    CHECK(s->n_annotations == 2);
    CHECK_STR(spec_get_annotation(s, "a.b"), "c");
    CHECK_STR(spec_get_annotation(s, "e"), "");
    CHECK(spec_get_annotation(s, "zz") == NULL);
    CHECK(s->n_mounts == 2);
    CHECK_STR(s->mounts[1].destination, "/data");
    CHECK_STR(s->mounts[1].options[1], "ro");
    CHECK(s->mounts[0].options == NULL);
    CHECK(s->mounts[1].n_uid_mappings == 1 && s->mounts[1].uid_mappings[0].host_id == 100000);
    CHECK(s->hooks.prestart.n == 1 && s->hooks.create_runtime.n == 1);
    CHECK(s->hooks.create_container.n == 0 && s->hooks.start_container.n == 1);
    CHECK(s->hooks.poststart.n == 1 && s->hooks.poststop.n == 2);
    CHECK(s->hooks.create_runtime.hooks[0].timeout.set &&
          s->hooks.create_runtime.hooks[0].timeout.value == 5);
    CHECK(!s->hooks.prestart.hooks[0].timeout.set);
    CHECK_STR(s->hooks.create_runtime.hooks[0].args[1], "1");
    CHECK_STR(s->hooks.poststop.hooks[1].path, "/f");
}

static void check_full_linux(const struct spec_linux *l, const struct spec *s)
{
    CHECK(l->n_namespaces == 8);
    const struct spec_namespace *net = spec_find_namespace(s, SPEC_NS_NETWORK);
    CHECK(net && net->path && strcmp(net->path, "/run/netns/x") == 0);
    CHECK(spec_find_namespace(s, SPEC_NS_TIME) != NULL);
    CHECK(spec_find_namespace(s, SPEC_NS_PID)->path == NULL);
    CHECK(l->n_uid_mappings == 1 && l->n_gid_mappings == 2);
    CHECK(l->gid_mappings[1].host_id == 200000 && l->gid_mappings[1].size == 1000);
    CHECK(l->time_monotonic.set && l->time_monotonic.secs == -10 &&
          l->time_monotonic.nanosecs == 5);
    CHECK(l->time_boottime.set && l->time_boottime.secs == 86400);
    CHECK(l->n_devices == 2 && l->devices[0].type == 'c' && l->devices[0].major == 10);
    CHECK(l->devices[0].file_mode.set && l->devices[0].file_mode.value == 0666);
    CHECK(l->devices[1].type == 'p' && !l->devices[1].uid.set);
    CHECK_STR(l->cgroups_path, "/vse/x");
    CHECK_STR(l->rootfs_propagation, "rslave");
    CHECK_STR(l->mount_label, "m");
    CHECK(l->n_sysctl == 1);
    CHECK_STR(l->sysctl[0].key, "net.ipv4.ip_forward");
    CHECK_STR(l->masked_paths[0], "/proc/kcore");
    CHECK(vse_strv_len(l->readonly_paths) == 2);
    CHECK(l->personality && strcmp(l->personality->domain, "LINUX32") == 0);
    CHECK(l->n_net_devices == 2);
    CHECK_STR(l->net_devices[0].host_name, "eth1");
    CHECK_STR(l->net_devices[0].name, "net0");
    CHECK(l->net_devices[1].name == NULL);
}

static void check_full_resources(const struct spec_resources *r)
{
    CHECK(r != NULL);
    if (r == NULL)
        return;
    CHECK(r->n_devices == 2 && !r->devices[0].allow && r->devices[0].type == 'a');
    CHECK(r->devices[0].major == -1 && r->devices[0].minor == -1);
    CHECK(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].minor == 3);
    CHECK_STR(r->devices[1].access, "rw");
    CHECK(r->memory && r->memory->limit.set && r->memory->limit.value == 1048576);
    CHECK(r->memory->swap.value == -1 && !r->memory->reservation.set);
    CHECK(r->memory->swappiness.set && r->memory->swappiness.value == 60);
    CHECK(r->memory->disable_oom_killer.set && !r->memory->disable_oom_killer.value);
    CHECK(r->memory->check_before_update);
    CHECK(r->cpu && r->cpu->shares.value == 512 && r->cpu->quota.value == 50000);
    CHECK(r->cpu->idle.set && r->cpu->idle.value == 1 && !r->cpu->burst.set);
    CHECK_STR(r->cpu->cpus, "0-1");
    CHECK_STR(r->cpu->mems, "");
    CHECK(r->pids_limit.set && r->pids_limit.value == 64);
    CHECK(r->block_io && r->block_io->weight.value == 500);
    CHECK(r->block_io->n_weight_device == 1 && r->block_io->weight_device[0].weight.value == 300);
    CHECK(r->block_io->n_throttle_read_bps == 1 && r->block_io->throttle_read_bps[0].rate == 1000);
    CHECK(r->block_io->n_throttle_write_iops == 1 && r->block_io->n_throttle_write_bps == 0);
    CHECK(r->n_hugepage_limits == 1);
    CHECK_STR(r->hugepage_limits[0].page_size, "2MB");
    CHECK(r->net_class_id.set && r->net_class_id.value == 1048577);
    CHECK(r->n_net_priorities == 1 && r->net_priorities[0].priority == 5);
    CHECK(r->n_unified == 2);
    CHECK_STR(r->unified[1].key, "io.weight");
}

static void check_full_seccomp(const struct spec_seccomp *sc)
{
    CHECK(sc != NULL);
    if (sc == NULL)
        return;
    CHECK(sc->default_action == SPEC_SCMP_ERRNO);
    CHECK(sc->default_errno_ret.set && sc->default_errno_ret.value == 1);
    CHECK_STR(sc->architectures[1], "SCMP_ARCH_X86");
    CHECK_STR(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
    CHECK_STR(sc->listener_path, "/run/agent.sock");
    CHECK_STR(sc->listener_metadata, "meta");
    CHECK(sc->n_syscalls == 4);
    CHECK(sc->syscalls[1].action == SPEC_SCMP_NOTIFY);
    CHECK(sc->syscalls[2].n_args == 1 && sc->syscalls[2].args[0].op == SPEC_SCMP_CMP_MASKED_EQ);
    CHECK(sc->syscalls[2].args[0].value == 8);
    CHECK(sc->syscalls[3].errno_ret.set && sc->syscalls[3].errno_ret.value == 38);
    CHECK(!sc->syscalls[0].errno_ret.set);
}

static void test_full_config(void)
{
    _cleanup_free_ char *text = dq(full_config);
    _cleanup_spec_ struct spec *s = NULL;
    struct vse_err err = {0};
    int ret = spec_parse(text, &s, &err);
    CHECK(ret == 0);
    if (ret < 0) {
        fprintf(stderr, "full config: %s\n", err.msg);
        return;
    }
    check_full_top(s);
    CHECK(s->process != NULL);
    if (s->process)
        check_full_process(s->process);
    CHECK(s->linux_ != NULL);
    if (s->linux_) {
        check_full_linux(s->linux_, s);
        check_full_resources(s->linux_->resources);
        check_full_seccomp(s->linux_->seccomp);
    }
}

/* ---- minimal configs and absent sections ---- */

#define HEAD "{'ociVersion':'1.2.0','root':{'path':'rootfs'}"
#define PROC "'process':{'user':{'uid':0,'gid':0},'args':['sh'],'cwd':'/'"
/* process without one of its required members, to add a variant of it */
#define PROC_NO_ARGS "'process':{'user':{'uid':0,'gid':0},'cwd':'/'"
#define PROC_NO_CWD "'process':{'user':{'uid':0,'gid':0},'args':['sh']"
#define PROC_NO_USER "'process':{'args':['sh'],'cwd':'/'"

static void test_minimal(void)
{
    static const char *const ok[] = {
        HEAD "}",                            /* process is optional */
        HEAD ",'process':null,'linux':null}", /* null is absent */
        "{'ociVersion':'1.0.0','root':{'path':'/abs/rootfs'}}",
        "{'ociVersion':'1.0.2-dev','root':{'path':'r'}}",
        "{'ociVersion':'1.1.0-rc.1+build.5','root':{'path':'r'}}",
        "{'ociVersion':'1.3.12','root':{'path':'r'}}",
        HEAD "," PROC ",'capabilities':{}},'linux':{'namespaces':[]}}",
        HEAD ",'linux':{'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,"
             "'hostID':1000,'size':1}]}}",
        HEAD ",'linux':{'namespaces':[{'type':'time'}],'timeOffsets':{}}}",
        HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'}}}",
        HEAD ",'linux':{'resources':{'pids':{}}}}",
        HEAD ",'linux':{'devices':[{'type':'u','path':'/dev/x','major':1,'minor':2}]}}",
    };
    for (size_t i = 0; i < VSE_ARRAY_SIZE(ok); i++) {
        _cleanup_free_ char *text = dq(ok[i]);
        _cleanup_spec_ struct spec *s = NULL;
        struct vse_err err = {0};
        int ret = spec_parse(text, &s, &err);
        CHECK(ret == 0);
        if (ret < 0)
            fprintf(stderr, "valid config %zu rejected: %s\n  %s\n", i, err.msg, text);
    }
    _cleanup_free_ char *text = dq(HEAD "}");
    _cleanup_spec_ struct spec *s = NULL;
    struct vse_err err = {0};
    CHECK(spec_parse(text, &s, &err) == 0);
    CHECK(s && s->process == NULL && s->linux_ == NULL && s->n_mounts == 0);
    CHECK(spec_find_namespace(s, SPEC_NS_PID) == NULL);
    CHECK_STR(spec_ns_type_name(SPEC_NS_NETWORK), "network");
    CHECK_STR(spec_ns_type_name(SPEC_NS_TIME), "time");
}

/* ---- invalid configs: each error must start with the exact message given ---- */

struct bad_case {
    const char *json;
    const char *expect; /* the error message starts with this */
};

static const struct bad_case bad_cases[] = {
    /* document, ociVersion, root */
    {"[]", "config must be a JSON object"},
    {"{", "invalid JSON"},
    {"{'root':{'path':'r'}}", "ociVersion: is required"},
    {"{'ociVersion':1,'root':{'path':'r'}}", "ociVersion: must be a string"},
    {"{'ociVersion':'2.0.0','root':{'path':'r'}}", "ociVersion: unsupported version \"2.0.0\""},
    {"{'ociVersion':'1.4.0','root':{'path':'r'}}", "ociVersion: unsupported version"},
    {"{'ociVersion':'0.9.0','root':{'path':'r'}}", "ociVersion: unsupported version"},
    {"{'ociVersion':'1.2','root':{'path':'r'}}", "ociVersion: unsupported version"},
    {"{'ociVersion':'1.2.01','root':{'path':'r'}}", "ociVersion: unsupported version"},
    {"{'ociVersion':'1.2.0-','root':{'path':'r'}}", "ociVersion: unsupported version"},
    {"{'ociVersion':'1.2.0'}", "root: is required"},
    {"{'ociVersion':'1.2.0','root':'r'}", "root: must be an object, not string"},
    {"{'ociVersion':'1.2.0','root':{}}", "root.path: is required"},
    {"{'ociVersion':'1.2.0','root':{'path':''}}", "root.path: must not be empty"},
    {"{'ociVersion':'1.2.0','root':{'path':'r','readonly':'yes'}}",
     "root.readonly: must be a boolean"},
    {HEAD ",'hostname':5}", "hostname: must be a string"},
    {HEAD ",'hostname':'a','hostname':'b'}", "hostname: duplicate key"},
    {HEAD "," PROC ",'args':['x']}}", "process.args: duplicate key"},
    {HEAD ",'linux':{'sysctl':{'a.b':'1','a.b':'2'}}}", "linux.sysctl.a.b: duplicate key"},
    {HEAD ",'mounts':[{'destination':'/a'},{'destination':'/b','type':'x','type':'y'}]}",
     "mounts[1].type: duplicate key"},
    {HEAD ",'annotations':{'a':1}}", "annotations.a: must be a string"},
    {HEAD ",'annotations':[]}", "annotations: must be an object"},
    /* mounts */
    {HEAD ",'mounts':{}}", "mounts: must be an array"},
    {HEAD ",'mounts':[5]}", "mounts[0]: must be an object"},
    {HEAD ",'mounts':[{'destination':'/a'},{'destination':'b'}]}",
     "mounts[1].destination: must be an absolute path"},
    {HEAD ",'mounts':[{'type':'tmpfs'}]}", "mounts[0].destination: is required"},
    {HEAD ",'mounts':[{'destination':'/a','options':['ro',3]}]}",
     "mounts[0].options[1]: must be a string"},
    {HEAD ",'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':1,"
          "'size':0}],'gidMappings':[]}]}",
     "mounts[0].uidMappings[0].size: must be greater than 0"},
    {HEAD ",'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':1,"
          "'size':1}]}]}",
     "mounts[0]: uidMappings and gidMappings must be given together"},
    /* hooks */
    {HEAD ",'hooks':{'prestart':[{'path':'rel'}]}}",
     "hooks.prestart[0].path: must be an absolute path"},
    {HEAD ",'hooks':{'poststop':[{'path':'/a','timeout':0}]}}",
     "hooks.poststop[0].timeout: must be greater than 0"},
    {HEAD ",'hooks':{'createRuntime':[{'path':'/a','timeout':-3}]}}",
     "hooks.createRuntime[0].timeout: must be greater than 0"},
    {HEAD ",'hooks':{'startContainer':[{'args':[]}]}}",
     "hooks.startContainer[0].path: is required"},
    {HEAD ",'hooks':{'poststart':{}}}", "hooks.poststart: must be an array"},
    {HEAD ",'hooks':{'createContainer':[{'path':'/a','env':'X=1'}]}}",
     "hooks.createContainer[0].env: must be an array"},
    /* process */
    {HEAD ",'process':[]}", "process: must be an object"},
    {HEAD ",'process':{'user':{'uid':0,'gid':0},'cwd':'/'}}",
     "process.args: must be a non-empty array of strings"},
    {HEAD "," PROC_NO_ARGS ",'args':[]}}", "process.args: must be a non-empty array of strings"},
    {HEAD "," PROC_NO_ARGS ",'args':'sh'}}", "process.args: must be a non-empty array of strings"},
    {HEAD "," PROC_NO_ARGS ",'args':['sh',1]}}", "process.args[1]: must be a string"},
    {HEAD ",'process':{'user':{'uid':0,'gid':0},'args':['sh']}}", "process.cwd: is required"},
    {HEAD "," PROC_NO_CWD ",'cwd':'tmp'}}", "process.cwd: must be an absolute path"},
    {HEAD ",'process':{'args':['sh'],'cwd':'/'}}", "process.user: is required"},
    {HEAD "," PROC_NO_USER ",'user':{'gid':0}}}", "process.user.uid: is required"},
    {HEAD "," PROC_NO_USER ",'user':{'uid':-1,'gid':0}}}", "process.user.uid: must be an integer"},
    {HEAD "," PROC_NO_USER ",'user':{'uid':0,'gid':4294967296}}}",
     "process.user.gid: must be an integer"},
    {HEAD "," PROC_NO_USER ",'user':{'uid':0,'gid':0,'additionalGids':[1,'x']}}}",
     "process.user.additionalGids[1]: must be an integer"},
    {HEAD "," PROC_NO_USER ",'user':{'uid':0,'gid':0,'umask':512}}}", "process.user.umask: must be"},
    {HEAD "," PROC ",'terminal':1}}", "process.terminal: must be a boolean"},
    {HEAD "," PROC ",'consoleSize':{'height':1}}}", "process.consoleSize.width: is required"},
    {HEAD "," PROC ",'env':['A=1','NOEQUALS']}}", "process.env[1]: must have the form NAME=VALUE"},
    {HEAD "," PROC ",'env':['=x']}}", "process.env[0]: must have the form"},
    {HEAD "," PROC ",'capabilities':{'bounding':['CAP_KILL','CAP_FOO']}}}",
     "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\""},
    {HEAD "," PROC ",'capabilities':{'ambient':['cap_kill']}}}",
     "process.capabilities.ambient[0]: unknown capability \"cap_kill\""},
    {HEAD "," PROC ",'capabilities':{'effective':['5']}}}",
     "process.capabilities.effective[0]: unknown capability"},
    {HEAD "," PROC ",'capabilities':{'permitted':'CAP_KILL'}}}",
     "process.capabilities.permitted: must be an array"},
    {HEAD "," PROC ",'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]}}",
     "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
    {HEAD "," PROC ",'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]}}",
     "process.rlimits[0].hard: is required"},
    {HEAD "," PROC ",'rlimits':[{'type':'RLIMIT_NOFILE','soft':10,'hard':5}]}}",
     "process.rlimits[0].soft: must not exceed hard"},
    {HEAD "," PROC ",'rlimits':[{'type':'RLIMIT_CPU','soft':1,'hard':1},"
          "{'type':'RLIMIT_CPU','soft':1,'hard':1}]}}",
     "process.rlimits[1].type: duplicate rlimit \"RLIMIT_CPU\""},
    {HEAD "," PROC ",'rlimits':[{'type':'RLIMIT_CPU','soft':1.5,'hard':2}]}}",
     "process.rlimits[0].soft: must be an integer"},
    {HEAD "," PROC ",'oomScoreAdj':1001}}", "process.oomScoreAdj: must be an integer from -1000"},
    {HEAD "," PROC ",'noNewPrivileges':'true'}}", "process.noNewPrivileges: must be a boolean"},
    {HEAD "," PROC ",'scheduler':{'policy':'SCHED_FAST'}}}",
     "process.scheduler.policy: unknown scheduler policy \"SCHED_FAST\""},
    {HEAD "," PROC ",'scheduler':{}}}", "process.scheduler.policy: is required"},
    {HEAD "," PROC ",'scheduler':{'policy':'SCHED_OTHER','nice':20}}}",
     "process.scheduler.nice: must be an integer from -20 to 19"},
    {HEAD "," PROC ",'scheduler':{'policy':'SCHED_OTHER','flags':['SCHED_FLAG_X']}}}",
     "process.scheduler.flags[0]: unknown scheduler flag"},
    {HEAD "," PROC ",'ioPriority':{'class':'IOPRIO_CLASS_NONE','priority':0}}}",
     "process.ioPriority.class: unknown I/O priority class"},
    {HEAD "," PROC ",'ioPriority':{'class':'IOPRIO_CLASS_RT','priority':8}}}",
     "process.ioPriority.priority: must be an integer from 0 to 7"},
    {HEAD "," PROC ",'execCPUAffinity':{'initial':'3-1'}}}",
     "process.execCPUAffinity.initial: invalid CPU list"},
    {HEAD "," PROC ",'execCPUAffinity':{'final':'0,'}}}",
     "process.execCPUAffinity.final: invalid CPU list"},
    /* linux: namespaces, mappings, time */
    {HEAD ",'linux':[]}", "linux: must be an object"},
    {HEAD ",'linux':{'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'nett'}]}}",
     "linux.namespaces[2].type: unknown namespace \"nett\""},
    {HEAD ",'linux':{'namespaces':[{'type':'pid'},{'type':'pid'}]}}",
     "linux.namespaces[1].type: duplicate namespace \"pid\""},
    {HEAD ",'linux':{'namespaces':[{}]}}", "linux.namespaces[0].type: is required"},
    {HEAD ",'linux':{'namespaces':[{'type':'network','path':'run/netns/x'}]}}",
     "linux.namespaces[0].path: must be an absolute path"},
    {HEAD ",'linux':{'uidMappings':[{'containerID':0,'hostID':0,'size':1}]}}",
     "linux.uidMappings: requires a new user namespace"},
    {HEAD ",'linux':{'namespaces':[{'type':'user','path':'/proc/1/ns/user'}],"
          "'gidMappings':[{'containerID':0,'hostID':0,'size':1}]}}",
     "linux.gidMappings: requires a new user namespace"},
    {HEAD ",'linux':{'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,"
          "'size':1}]}}",
     "linux.uidMappings[0].hostID: is required"},
    {HEAD ",'linux':{'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,"
          "'hostID':4294967295,'size':2}]}}",
     "linux.uidMappings[0].size: range exceeds the 32-bit id space"},
    {HEAD ",'linux':{'namespaces':[{'type':'user'}],'gidMappings':{}}}",
     "linux.gidMappings: must be an array"},
    {HEAD ",'linux':{'namespaces':[{'type':'time'}],'timeOffsets':{'realtime':{'secs':1}}}}",
     "linux.timeOffsets.realtime: unknown clock"},
    {HEAD ",'linux':{'namespaces':[{'type':'time'}],'timeOffsets':{'monotonic':"
          "{'nanosecs':1000000000}}}}",
     "linux.timeOffsets.monotonic.nanosecs: must be an integer from 0 to 999999999"},
    {HEAD ",'linux':{'timeOffsets':{'boottime':{'secs':1}}}}",
     "linux.timeOffsets: requires a new time namespace"},
    /* linux: devices, small sections */
    {HEAD ",'linux':{'devices':[{'type':'x','path':'/dev/x','major':1,'minor':1}]}}",
     "linux.devices[0].type: unknown device type \"x\""},
    {HEAD ",'linux':{'devices':[{'type':'c','path':'/dev/x','minor':1}]}}",
     "linux.devices[0].major: is required"},
    {HEAD ",'linux':{'devices':[{'type':'c','path':'dev/x','major':1,'minor':1}]}}",
     "linux.devices[0].path: must be an absolute path"},
    {HEAD ",'linux':{'devices':[{'type':'b','path':'/dev/x','major':1,'minor':1,"
          "'fileMode':65535}]}}",
     "linux.devices[0].fileMode: must be an integer from 0 to 4095"},
    {HEAD ",'linux':{'rootfsPropagation':'sharedd'}}",
     "linux.rootfsPropagation: unknown propagation \"sharedd\""},
    {HEAD ",'linux':{'maskedPaths':['/proc/kcore','proc/keys']}}",
     "linux.maskedPaths[1]: must be an absolute path"},
    {HEAD ",'linux':{'readonlyPaths':[1]}}", "linux.readonlyPaths[0]: must be a string"},
    {HEAD ",'linux':{'sysctl':{'kernel.x':1}}}", "linux.sysctl.kernel.x: must be a string"},
    {HEAD ",'linux':{'sysctl':{'../x':'1'}}}", "linux.sysctl.../x: invalid sysctl name"},
    {HEAD ",'linux':{'personality':{'domain':'LINUX64'}}}",
     "linux.personality.domain: unknown personality domain \"LINUX64\""},
    {HEAD ",'linux':{'personality':{}}}", "linux.personality.domain: is required"},
    {HEAD ",'linux':{'netDevices':[]}}", "linux.netDevices: must be an object"},
    {HEAD ",'linux':{'netDevices':{'eth0':{'name':'a/b'}}}}",
     "linux.netDevices.eth0.name: invalid network interface name \"a/b\""},
    {HEAD ",'linux':{'netDevices':{'averyveryverylongname':{}}}}",
     "linux.netDevices.averyveryverylongname: invalid network interface name"},
    {HEAD ",'linux':{'netDevices':{'eth0':{'name':'x'},'eth1':{'name':'x'}}}}",
     "linux.netDevices.eth1: name \"x\" is also used by eth0"},
    {HEAD ",'linux':{'netDevices':{'eth0':5}}}", "linux.netDevices.eth0: must be an object"},
    {HEAD ",'linux':{'cgroupsPath':7}}", "linux.cgroupsPath: must be a string"},
    /* linux.seccomp */
    {HEAD ",'linux':{'seccomp':{}}}", "linux.seccomp.defaultAction: is required"},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_DENY'}}}",
     "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_DENY\""},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['a'],"
          "'action':'SCMP_ACT_ALLOW'},{'names':['b'],'action':'ALLOW'}]}}}",
     "linux.seccomp.syscalls[1].action: unknown seccomp action \"ALLOW\""},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['a'],"
          "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_CMP_XX'}]}]}}}",
     "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_XX\""},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['a'],"
          "'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}}}",
     "linux.seccomp.syscalls[0].args[0].index: must be an integer from 0 to 5"},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],"
          "'action':'SCMP_ACT_ERRNO'}]}}}",
     "linux.seccomp.syscalls[0].names: must be a non-empty array of strings"},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['a']}]}}}",
     "linux.seccomp.syscalls[0].action: is required"},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','architectures':["
          "'SCMP_ARCH_X86_64','x86_64']}}}",
     "linux.seccomp.architectures[1]: unknown seccomp architecture \"x86_64\""},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_X']}}}",
     "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_X\""},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_NOTIFY'}}}",
     "linux.seccomp.listenerPath: is required when SCMP_ACT_NOTIFY is used"},
    {HEAD ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1}}}",
     "linux.seccomp.defaultErrnoRet: must be an integer"},
    /* linux.resources */
    {HEAD ",'linux':{'resources':{'devices':[{'access':'rwm'}]}}}",
     "linux.resources.devices[0].allow: is required"},
    {HEAD ",'linux':{'resources':{'devices':[{'allow':true,'type':'p'}]}}}",
     "linux.resources.devices[0].type: unknown device type \"p\""},
    {HEAD ",'linux':{'resources':{'devices':[{'allow':true,'access':'rwx'}]}}}",
     "linux.resources.devices[0].access: must be a combination of r, w and m"},
    {HEAD ",'linux':{'resources':{'devices':[{'allow':true,'major':-2}]}}}",
     "linux.resources.devices[0].major: must be an integer from -1"},
    {HEAD ",'linux':{'resources':{'memory':{'limit':'1G'}}}}",
     "linux.resources.memory.limit: must be a number, not string"},
    {HEAD ",'linux':{'resources':{'memory':{'swap':-2}}}}",
     "linux.resources.memory.swap: must be an integer from -1"},
    {HEAD ",'linux':{'resources':{'memory':{'swappiness':101}}}}",
     "linux.resources.memory.swappiness: must be an integer from 0 to 100"},
    {HEAD ",'linux':{'resources':{'cpu':{'cpus':'0-'}}}}",
     "linux.resources.cpu.cpus: invalid list"},
    {HEAD ",'linux':{'resources':{'cpu':{'shares':-1}}}}",
     "linux.resources.cpu.shares: must be an integer from 0"},
    {HEAD ",'linux':{'resources':{'cpu':{'idle':2}}}}",
     "linux.resources.cpu.idle: must be an integer from 0 to 1"},
    {HEAD ",'linux':{'resources':{'pids':{'limit':'many'}}}}",
     "linux.resources.pids.limit: must be a number"},
    {HEAD ",'linux':{'resources':{'blockIO':{'weight':1001}}}}",
     "linux.resources.blockIO.weight: must be an integer from 0 to 1000"},
    {HEAD ",'linux':{'resources':{'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}}}}",
     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required"},
    {HEAD ",'linux':{'resources':{'blockIO':{'weightDevice':[{'minor':0}]}}}}",
     "linux.resources.blockIO.weightDevice[0].major: is required"},
    {HEAD ",'linux':{'resources':{'hugepageLimits':[{'pageSize':'2M','limit':1}]}}}",
     "linux.resources.hugepageLimits[0].pageSize: invalid page size \"2M\""},
    {HEAD ",'linux':{'resources':{'network':{'priorities':[{'name':'eth0'}]}}}}",
     "linux.resources.network.priorities[0].priority: is required"},
    {HEAD ",'linux':{'resources':{'unified':{'../memory.max':'1'}}}}",
     "linux.resources.unified.../memory.max: not a cgroup file name"},
    {HEAD ",'linux':{'resources':{'unified':{'memory.max':1}}}}",
     "linux.resources.unified.memory.max: must be a string"},
};

static void test_bad_configs(void)
{
    for (size_t i = 0; i < VSE_ARRAY_SIZE(bad_cases); i++) {
        _cleanup_free_ char *text = dq(bad_cases[i].json);
        _cleanup_spec_ struct spec *s = NULL;
        struct vse_err err = {0};
        int ret = spec_parse(text, &s, &err);
        checks++;
        if (ret != -EINVAL || s != NULL ||
            strncmp(err.msg, bad_cases[i].expect, strlen(bad_cases[i].expect)) != 0) {
            failures++;
            fprintf(stderr, "bad case %zu: ret %d, got \"%s\"\n  expected \"%s...\"\n  in %s\n", i,
                    ret, err.msg, bad_cases[i].expect, text);
        }
    }
}

/* ---- process and resources alone: paths start at their root ---- */

static void test_process_alone(void)
{
    struct vse_err err = {0};
    struct spec_process *p = NULL;
    _cleanup_free_ char *good =
        dq("{'user':{'uid':1,'gid':2},'args':['ls','-l'],'cwd':'/','terminal':false,"
           "'capabilities':{'bounding':['CAP_NET_RAW']}}");
    CHECK(spec_parse_process(good, &p, &err) == 0);
    CHECK(p && p->user.gid == 2 && vse_strv_len(p->args) == 2);
    CHECK(p && p->capabilities && p->capabilities->bounding == (1ULL << CAP_NET_RAW));
    spec_process_free(p);

    static const struct bad_case bad[] = {
        {"{'user':{'uid':0,'gid':0},'cwd':'/'}", "args: must be a non-empty array of strings"},
        {"{'user':{'uid':0,'gid':0},'args':['a'],'cwd':'x'}", "cwd: must be an absolute path"},
        {"{'user':{'uid':0,'gid':0},'args':['a'],'cwd':'/','rlimits':[{'type':'NOFILE',"
         "'soft':1,'hard':1}]}",
         "rlimits[0].type: unknown rlimit \"NOFILE\""},
        {"[1]", "process must be a JSON object"},
    };
    for (size_t i = 0; i < VSE_ARRAY_SIZE(bad); i++) {
        _cleanup_free_ char *text = dq(bad[i].json);
        p = NULL;
        vse_err_clear(&err);
        int ret = spec_parse_process(text, &p, &err);
        CHECK(ret == -EINVAL && p == NULL);
        CHECK(strncmp(err.msg, bad[i].expect, strlen(bad[i].expect)) == 0);
        if (strncmp(err.msg, bad[i].expect, strlen(bad[i].expect)) != 0)
            fprintf(stderr, "process case %zu: got \"%s\"\n", i, err.msg);
    }
}

static void test_resources_alone(void)
{
    struct vse_err err = {0};
    struct spec_resources *r = NULL;
    _cleanup_free_ char *good = dq("{'memory':{'limit':-1},'pids':{'limit':10}}");
    CHECK(spec_parse_resources(good, &r, &err) == 0);
    CHECK(r && r->memory && r->memory->limit.value == -1 && r->pids_limit.value == 10);
    CHECK(r && r->cpu == NULL && r->block_io == NULL);
    spec_resources_free(r);

    r = NULL;
    _cleanup_free_ char *bad = dq("{'cpu':{'quota':'x'}}");
    CHECK(spec_parse_resources(bad, &r, &err) == -EINVAL && r == NULL);
    CHECK(strncmp(err.msg, "cpu.quota: must be a number", 27) == 0);
}

/* ---- spec_load_bundle ---- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        abort();
    fputs(text, f);
    fclose(f);
}

static void test_load_bundle(void)
{
    char dir[] = "/tmp/vse-test-spec-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    _cleanup_free_ char *cfg = vse_asprintf("%s/config.json", dir);
    struct vse_err err = {0};
    struct spec *s = NULL;

    CHECK(spec_load_bundle(dir, &s, &err) == -ENOENT);
    CHECK(strstr(err.msg, "config.json") != NULL);

    _cleanup_free_ char *good = dq(HEAD ",'hostname':'b'}");
    write_file(cfg, good);
    vse_err_clear(&err);
    CHECK(spec_load_bundle(dir, &s, &err) == 0);
    CHECK(s && s->hostname && strcmp(s->hostname, "b") == 0);
    spec_free(s);
    s = NULL;

    _cleanup_free_ char *bad = dq(HEAD ",'mounts':[{'destination':'x'}]}");
    write_file(cfg, bad);
    CHECK(spec_load_bundle(dir, &s, &err) == -EINVAL && s == NULL);
    _cleanup_free_ char *want =
        vse_asprintf("%s: mounts[0].destination: must be an absolute path", cfg);
    CHECK(strncmp(err.msg, want, strlen(want)) == 0);

    write_file(cfg, "{ not json");
    CHECK(spec_load_bundle(dir, &s, &err) == -EINVAL);
    CHECK(strstr(err.msg, "invalid JSON") != NULL && strstr(err.msg, cfg) == err.msg);

    unlink(cfg);
    rmdir(dir);
}

/* ---- vse spec, vse features ---- */

static uint64_t default_caps_mask(void)
{
    return (1ULL << CAP_AUDIT_WRITE) | (1ULL << CAP_KILL) | (1ULL << CAP_NET_BIND_SERVICE);
}

static void test_default_spec(void)
{
    _cleanup_free_ char *text = spec_default_json(false);
    _cleanup_spec_ struct spec *s = NULL;
    struct vse_err err = {0};
    CHECK(text && spec_parse(text, &s, &err) == 0);
    if (s == NULL) {
        fprintf(stderr, "default spec: %s\n", err.msg);
        return;
    }
    CHECK_STR(s->oci_version, VSE_OCI_VERSION);
    CHECK_STR(s->hostname, "vse");
    CHECK(s->process && s->process->terminal && s->process->no_new_privileges);
    CHECK_STR(s->process->args[0], "sh");
    CHECK(s->process->capabilities->bounding == default_caps_mask());
    CHECK(s->process->capabilities->ambient == 0);
    CHECK(s->process->n_rlimits == 1 && s->process->rlimits[0].hard == 1024);
    CHECK(s->root->readonly);
    CHECK(s->n_mounts == 7);
    CHECK_STR(s->mounts[6].type, "cgroup");
    CHECK(s->linux_->n_namespaces == 6);
    CHECK(spec_find_namespace(s, SPEC_NS_NETWORK) && spec_find_namespace(s, SPEC_NS_CGROUP));
    CHECK(spec_find_namespace(s, SPEC_NS_USER) == NULL);
    CHECK(s->linux_->resources && s->linux_->resources->n_devices == 1);
    CHECK(vse_strv_contains(s->linux_->masked_paths, "/proc/kcore"));
    CHECK(vse_strv_len(s->linux_->readonly_paths) == 5);
    /* the default seccomp profile (spec/default_seccomp.c), rootful and rootless */
    CHECK(s->linux_->seccomp && s->linux_->seccomp->default_action == SPEC_SCMP_ERRNO);
    CHECK(s->linux_->seccomp && s->linux_->seccomp->n_syscalls > 8 &&
          vse_strv_len(s->linux_->seccomp->architectures) > 0);

    _cleanup_free_ char *rtext = spec_default_json(true);
    _cleanup_spec_ struct spec *r = NULL;
    CHECK(rtext && spec_parse(rtext, &r, &err) == 0);
    if (r == NULL) {
        fprintf(stderr, "rootless spec: %s\n", err.msg);
        return;
    }
    CHECK(spec_find_namespace(r, SPEC_NS_USER) != NULL);
    CHECK(spec_find_namespace(r, SPEC_NS_NETWORK) == NULL);
    CHECK(r->linux_->n_uid_mappings == 1 && r->linux_->uid_mappings[0].host_id == geteuid());
    CHECK(r->linux_->n_gid_mappings == 1 && r->linux_->gid_mappings[0].host_id == getegid());
    CHECK(r->linux_->resources == NULL);
    CHECK(r->linux_->seccomp && r->linux_->seccomp->n_syscalls == s->linux_->seccomp->n_syscalls);
    bool sys_rbind = false, cgroup_mount = false, gid_option = false;
    for (size_t i = 0; i < r->n_mounts; i++) {
        const struct spec_mount *m = &r->mounts[i];
        if (strcmp(m->destination, "/sys") == 0)
            sys_rbind = vse_strv_contains(m->options, "rbind") && strcmp(m->source, "/sys") == 0;
        if (strcmp(m->destination, "/sys/fs/cgroup") == 0)
            cgroup_mount = true;
        for (size_t j = 0; m->options && m->options[j]; j++)
            if (vse_str_has_prefix(m->options[j], "gid="))
                gid_option = true;
    }
    CHECK(sys_rbind && !cgroup_mount && !gid_option);
}

static bool json_array_has(const json_node *arr, const char *s)
{
    for (size_t i = 0; i < json_array_len(arr); i++)
        if (json_string(json_array_get(arr, i)) &&
            strcmp(json_string(json_array_get(arr, i)), s) == 0)
            return true;
    return false;
}

static void test_features(void)
{
    _cleanup_free_ char *text = spec_features_json();
    _cleanup_json_ json_node *doc = NULL;
    struct vse_err err = {0};
    CHECK(text && json_parse(text, &doc, &err) == 0);
    if (doc == NULL)
        return;
    CHECK_STR(json_string(json_get(doc, "ociVersionMin")), "1.0.0");
    CHECK_STR(json_string(json_get(doc, "ociVersionMax")), "1.3.0");
    CHECK(json_array_len(json_get(doc, "hooks")) == 6);
    const json_node *opts = json_get(doc, "mountOptions");
    CHECK(json_array_has(opts, "rro") && json_array_has(opts, "idmap") &&
          json_array_has(opts, "tmpcopyup") && json_array_has(opts, "rbind"));
    const json_node *lx = json_get(doc, "linux");
    CHECK(json_array_len(json_get(lx, "namespaces")) == 8);
    const json_node *caps = json_get(lx, "capabilities");
    CHECK(json_array_has(caps, "CAP_SYS_ADMIN") && json_array_has(caps, "CAP_CHOWN"));
    CHECK(!json_array_has(caps, "cap_chown"));
    const json_node *sc = json_get(lx, "seccomp");
    CHECK(json_bool(json_get(sc, "enabled")));
    CHECK(json_array_len(json_get(sc, "actions")) == 9);
    CHECK(json_array_len(json_get(sc, "operators")) == 7);
    CHECK(json_array_has(json_get(sc, "archs"), "SCMP_ARCH_X86_64"));
    CHECK(json_array_len(json_get(sc, "knownFlags")) == 4);
    CHECK(json_get(lx, "cgroup") && json_bool(json_get(json_get(lx, "cgroup"), "v1")));
    CHECK(!json_bool(json_get(json_get(lx, "cgroup"), "systemd")));
    CHECK(json_bool(json_get(json_get(json_get(lx, "mountExtensions"), "idmap"), "enabled")));
    CHECK(json_string(json_get(json_get(doc, "annotations"), "io.github.vse.version")));
}

int main(void)
{
    test_full_config();
    test_minimal();
    test_bad_configs();
    test_process_alone();
    test_resources_alone();
    test_load_bundle();
    test_default_spec();
    test_features();
    printf("spec: %d checks, %d failed (%zu invalid configs)\n", checks, failures,
           VSE_ARRAY_SIZE(bad_cases));
    return failures ? 1 : 0;
}

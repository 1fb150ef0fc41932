#!/usr/bin/python3
"""Build a busybox-static container image without a registry.

Two archives of the same single-layer image are written with python's tarfile, hashlib and
json only:

* an OCI image layout tarball ("oci-archive": oci-layout, index.json, blobs/sha256/...), the
  layer gzip-compressed, the index annotated with the image name so both `podman load` and
  `ctr image import` name it;
* a `docker save` tarball ("docker-archive": manifest.json, repositories, <id>/layer.tar,
  <config digest>.json).

The layer holds /bin/busybox, one symlink per applet in /bin, /etc/passwd and /etc/group and
the usual empty directories. The config runs `sh` with a PATH.

Usage: image.py OUTDIR [NAME] [TAG]  -> prints the two paths and the image reference.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

BUSYBOX = shutil.which("busybox") or "/bin/busybox"
ENV_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# A fixed time keeps the archives reproducible: the same busybox gives the same digests.
EPOCH = 1700000000

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
GROUP = "root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def _add_dir(tar, name, mode=0o755):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    info.mtime = EPOCH
    tar.addfile(info)


def _add_bytes(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = EPOCH
    tar.addfile(info, io.BytesIO(data))


def _add_symlink(tar, name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    info.mode = 0o777
    info.mtime = EPOCH
    tar.addfile(info)


def busybox_applets():
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout
    return sorted(set(out.split()) - {"busybox"})


def build_layer():
    """The uncompressed layer tar (bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in ("bin", "dev", "etc", "home", "proc", "root", "run", "sbin", "sys", "usr",
                  "usr/bin", "usr/sbin", "var"):
            _add_dir(tar, d, 0o700 if d == "root" else 0o755)
        _add_dir(tar, "tmp", 0o1777)
        _add_dir(tar, "var/tmp", 0o1777)
        with open(BUSYBOX, "rb") as f:
            _add_bytes(tar, "bin/busybox", f.read(), 0o755)
        for applet in busybox_applets():
            _add_symlink(tar, "bin/" + applet, "busybox")
        _add_bytes(tar, "etc/passwd", PASSWD.encode())
        _add_bytes(tar, "etc/group", GROUP.encode())
    return buf.getvalue()


def image_config(diff_id):
    return {
        "created": "2023-11-14T22:13:20Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": [ENV_PATH], "Cmd": ["sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
        "history": [{"created": "2023-11-14T22:13:20Z",
                     "created_by": "tests/oci/image.py: busybox-static userland"}],
    }


def _json_bytes(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def write_oci_archive(path, layer, ref):
    """OCI image layout in a tar. `ref` is the full name, e.g. localhost/vse-busybox:latest."""
    diff_id = sha256(layer)
    gz = gzip.compress(layer, compresslevel=6, mtime=EPOCH)
    config = _json_bytes(image_config(diff_id))
    manifest = _json_bytes({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + sha256(gz), "size": len(gz)}],
    })
    index = _json_bytes({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + sha256(manifest), "size": len(manifest),
            "platform": {"architecture": "amd64", "os": "linux"},
            # containerd reads the first, podman (c/image) the second.
            "annotations": {"io.containerd.image.name": ref,
                            "org.opencontainers.image.ref.name": ref},
        }],
    })
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, "oci-layout", _json_bytes({"imageLayoutVersion": "1.0.0"}))
        _add_bytes(tar, "index.json", index)
        _add_dir(tar, "blobs")
        _add_dir(tar, "blobs/sha256")
        for blob in (config, manifest, gz):
            _add_bytes(tar, "blobs/sha256/" + sha256(blob), blob)
    return "sha256:" + sha256(config)


def write_docker_archive(path, layer, ref):
    """`docker save` format: manifest.json, repositories, <id>/layer.tar, <config>.json."""
    diff_id = sha256(layer)
    config = _json_bytes(image_config(diff_id))
    config_name = sha256(config) + ".json"
    repo, tag = ref.rsplit(":", 1)
    manifest = _json_bytes([{"Config": config_name, "RepoTags": [ref],
                             "Layers": [diff_id + "/layer.tar"]}])
    repositories = _json_bytes({repo: {tag: diff_id}})
    legacy = _json_bytes({"id": diff_id, "created": "2023-11-14T22:13:20Z",
                          "config": {"Env": [ENV_PATH], "Cmd": ["sh"]}})
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_dir(tar, diff_id)
        _add_bytes(tar, diff_id + "/VERSION", b"1.0")
        _add_bytes(tar, diff_id + "/json", legacy)
        _add_bytes(tar, diff_id + "/layer.tar", layer)
        _add_bytes(tar, config_name, config)
        _add_bytes(tar, "manifest.json", manifest)
        _add_bytes(tar, "repositories", repositories)
    return "sha256:" + sha256(config)


class Images:
    """Both archives of one image. `oci_ref`/`docker_ref` are the names the loads give them."""

    def __init__(self, outdir, name="localhost/vse-busybox", tag="latest"):
        os.makedirs(outdir, exist_ok=True)
        layer = build_layer()
        self.oci_ref = f"{name}:{tag}-oci"
        self.docker_ref = f"{name}:{tag}-docker"
        self.oci_archive = os.path.join(outdir, "vse-busybox-oci.tar")
        self.docker_archive = os.path.join(outdir, "vse-busybox-docker.tar")
        self.config_digest = write_oci_archive(self.oci_archive, layer, self.oci_ref)
        docker_digest = write_docker_archive(self.docker_archive, layer, self.docker_ref)
        assert docker_digest == self.config_digest

    def archive(self, kind):
        return {"oci": self.oci_archive, "docker": self.docker_archive}[kind]

    def ref(self, kind):
        return {"oci": self.oci_ref, "docker": self.docker_ref}[kind]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    name = argv[2] if len(argv) > 2 else "localhost/vse-busybox"
    tag = argv[3] if len(argv) > 3 else "latest"
    img = Images(argv[1], name, tag)
    print(f"oci-archive    {img.oci_archive}  ({img.oci_ref})")
    print(f"docker-archive {img.docker_archive}  ({img.docker_ref})")
    print(f"config         {img.config_digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

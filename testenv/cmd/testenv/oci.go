package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// layerFile is a file of an image's layer: where it goes, where its content is on this
// machine (a directory is copied whole), its mode (0 keeps the file's own) and its file
// capabilities (as `setcap cap_...=+ep` gives them).
type layerFile struct {
	path, from string
	mode       fs.FileMode
	caps       []string
}

type layerSpec struct {
	dirs  map[string]string // directory → octal mode
	etc   map[string]string // /etc/passwd, /etc/group
	files []layerFile
	links map[string]string // symlink → target
	owner string            // "uid:gid" of the program's directory and files ("" is root)
}

// writeArchive writes an OCI image layout, as a tar archive, holding one image of one layer
// under ref (containerd's `ctr images import` names the image from io.containerd.image.name).
func writeArchive(out, ref string, l layerSpec, config map[string]any) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	layerTmp, err := os.CreateTemp(filepath.Dir(out), ".layer-*")
	if err != nil {
		return err
	}
	defer os.Remove(layerTmp.Name())
	defer layerTmp.Close()
	// Compressed, as registries serve layers: each node's containerd keeps the layer as well as
	// its unpacked files, and a test run has up to six nodes, each holding every image.
	diffHash, layerHash := sha256.New(), sha256.New()
	zw, err := gzip.NewWriterLevel(io.MultiWriter(layerTmp, layerHash), gzip.BestSpeed)
	if err != nil {
		return err
	}
	if err := l.write(io.MultiWriter(zw, diffHash)); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	layerSize, err := layerTmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	layerDigest := "sha256:" + hex.EncodeToString(layerHash.Sum(nil))
	diffID := "sha256:" + hex.EncodeToString(diffHash.Sum(nil))
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": config,
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	})
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": descriptor("application/vnd.oci.image.config.v1+json", cfg),
		"layers": []any{map[string]any{
			"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layerDigest, "size": layerSize,
		}},
	})
	tag := ref[strings.LastIndex(ref, ":")+1:]
	manifestDesc := descriptor("application/vnd.oci.image.manifest.v1+json", manifest)
	manifestDesc["annotations"] = map[string]string{"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": tag}
	manifestDesc["platform"] = map[string]string{"architecture": "amd64", "os": "linux"}
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []any{manifestDesc},
	})

	tmp := out + fmt.Sprintf(".%d", os.Getpid())
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer f.Close()
	tw := tar.NewWriter(f)
	small := map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": index,
		blobPath(cfg): cfg, blobPath(manifest): manifest,
	}
	names := make([]string, 0, len(small))
	for name := range small {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			return err
		}
	}
	for _, name := range names {
		if err := writeEntry(tw, name, small[name], 0o644); err != nil {
			return err
		}
	}
	if _, err := layerTmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/" + strings.TrimPrefix(layerDigest, "sha256:"), Mode: 0o644, Size: layerSize}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, layerTmp); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func descriptor(mediaType string, content []byte) map[string]any {
	sum := sha256.Sum256(content)
	return map[string]any{"mediaType": mediaType, "digest": "sha256:" + hex.EncodeToString(sum[:]), "size": len(content)}
}

func blobPath(content []byte) string {
	sum := sha256.Sum256(content)
	return "blobs/sha256/" + hex.EncodeToString(sum[:])
}

func writeEntry(tw *tar.Writer, name string, content []byte, mode int64) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(content))}); err != nil {
		return err
	}
	_, err := tw.Write(content)
	return err
}

// write writes the layer's tar: directories first (each parent once), then files and links.
func (l layerSpec) write(w io.Writer) error {
	tw := tar.NewWriter(w)
	uid, gid := 0, 0
	if l.owner != "" {
		u, g, _ := strings.Cut(l.owner, ":")
		uid, _ = strconv.Atoi(u)
		gid, _ = strconv.Atoi(g)
	}
	// The owner owns the program's directory and what is in it (chown -R).
	owned := func(p string) bool {
		if l.owner == "" || len(l.files) == 0 {
			return false
		}
		dir := path.Dir(l.files[0].path)
		return p == dir || strings.HasPrefix(p, dir+"/")
	}
	header := func(h *tar.Header) *tar.Header {
		if owned("/" + strings.TrimSuffix(h.Name, "/")) {
			h.Uid, h.Gid = uid, gid
		}
		return h
	}
	made := map[string]bool{}
	var mkdir func(dir string, mode int64) error
	mkdir = func(dir string, mode int64) error {
		if dir == "/" || made[dir] {
			return nil
		}
		if err := mkdir(path.Dir(dir), 0o755); err != nil {
			return err
		}
		made[dir] = true
		return tw.WriteHeader(header(&tar.Header{Name: strings.TrimPrefix(dir, "/") + "/", Typeflag: tar.TypeDir, Mode: mode}))
	}
	dirs := make([]string, 0, len(l.dirs))
	for d := range l.dirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		mode, _ := strconv.ParseInt(l.dirs[d], 8, 64)
		if err := mkdir(d, mode); err != nil {
			return err
		}
	}
	for _, name := range []string{"/etc/group", "/etc/passwd"} {
		if content, ok := l.etc[name]; ok {
			if err := mkdir("/etc", 0o755); err != nil {
				return err
			}
			if err := writeEntry(tw, name[1:], []byte(content), 0o644); err != nil {
				return err
			}
		}
	}
	for _, f := range l.files {
		err := filepath.WalkDir(f.from, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			to := path.Join(f.path, filepath.ToSlash(strings.TrimPrefix(p, f.from)))
			info, err := os.Stat(p) // a symlink's target: the image holds the content
			if err != nil {
				return err
			}
			if info.IsDir() {
				return mkdir(to, 0o755)
			}
			if err := mkdir(path.Dir(to), 0o755); err != nil {
				return err
			}
			mode := int64(info.Mode().Perm())
			if f.mode != 0 {
				mode = int64(f.mode)
			}
			h := header(&tar.Header{Name: strings.TrimPrefix(to, "/"), Mode: mode, Size: info.Size()})
			if len(f.caps) > 0 {
				h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": fileCapability(f.caps)}
			}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			src, err := os.Open(p)
			if err != nil {
				return err
			}
			defer src.Close()
			_, err = io.Copy(tw, src)
			return err
		})
		if err != nil {
			return err
		}
	}
	links := make([]string, 0, len(l.links))
	for link := range l.links {
		links = append(links, link)
	}
	sort.Strings(links)
	for _, link := range links {
		if err := tw.WriteHeader(header(&tar.Header{Name: strings.TrimPrefix(link, "/"), Typeflag: tar.TypeSymlink, Linkname: l.links[link], Mode: 0o777})); err != nil {
			return err
		}
	}
	return tw.Close()
}

// capabilityBits are the capabilities an image's file may hold (linux/capability.h).
var capabilityBits = map[string]uint{"CAP_NET_BIND_SERVICE": 10}

// fileCapability is the security.capability xattr `setcap CAPS=+ep` writes: version 2,
// effective, the capabilities permitted.
func fileCapability(caps []string) string {
	var permitted uint64
	for _, c := range caps {
		bit, ok := capabilityBits[c]
		if !ok {
			panic("programs.json: unknown capability " + c)
		}
		permitted |= 1 << bit
	}
	raw := make([]byte, 20)
	binary.LittleEndian.PutUint32(raw[0:], 0x02000000|0x000001) // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
	binary.LittleEndian.PutUint32(raw[4:], uint32(permitted))
	binary.LittleEndian.PutUint32(raw[12:], uint32(permitted>>32))
	return string(raw)
}

// sharedLibraries are the files a dynamically linked program loads (ldd), at their paths; a
// static one loads none.
func sharedLibraries(program string) ([]layerFile, error) {
	out, err := exec.Command("ldd", program).CombinedOutput()
	if strings.Contains(string(out), "not a dynamic executable") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w: %s", program, err, out)
	}
	var files []layerFile
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		for _, f := range fields {
			if strings.HasPrefix(f, "/") {
				files = append(files, layerFile{path: f, from: f})
				break
			}
		}
	}
	return files, nil
}

package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// programs.json is the one table of what testenv builds (testenv/index.mjs reads it too) and
// the images its nodes hold, each fact cited to its upstream file.
//
//go:embed programs.json
var programsTable []byte

// base is what an image's base image gives it: users, directories and the default config.
type base struct {
	Passwd     []string          `json:"passwd"`
	Group      []string          `json:"group"`
	Dirs       map[string]string `json:"dirs"`
	User       string            `json:"user"`
	WorkingDir string            `json:"workingDir"`
	Env        []string          `json:"env"`
}

// imageSpec is one image of the table: the program's binary at path on its base, with the
// config the real image has.
type imageSpec struct {
	Image        string            `json:"image"`
	Version      string            `json:"version"`
	Base         string            `json:"base"`
	Path         string            `json:"path"`
	Capabilities []string          `json:"capabilities"`
	Links        map[string]string `json:"links"`
	Files        map[string]string `json:"files"` // image path → path in the project
	Users        struct {
		Passwd []string `json:"passwd"`
		Group  []string `json:"group"`
	} `json:"users"`
	Dirs       map[string]string `json:"dirs"`
	Owner      string            `json:"owner"`
	User       *string           `json:"user"`
	WorkingDir *string           `json:"workingDir"`
	Entrypoint []string          `json:"entrypoint"`
	Env        []string          `json:"env"`
	Sources    map[string]string `json:"sources"`

	binary  string // the program's file name in the build directory
	project bool   // the project's own image, built at each start
}

type table struct {
	Bases    map[string]base `json:"bases"`
	Programs []struct {
		Binary  string      `json:"binary"`
		Project bool        `json:"project"`
		Images  []imageSpec `json:"images"`
	} `json:"programs"`
}

// imageTable reads programs.json and checks what a mistake in it would otherwise hide.
func imageTable() (table, []imageSpec) {
	var t table
	if err := json.Unmarshal(programsTable, &t); err != nil {
		panic(fmt.Sprintf("programs.json: %v", err))
	}
	var out []imageSpec
	seen := map[string]bool{}
	for _, p := range t.Programs {
		for _, i := range p.Images {
			i.binary, i.project = p.Binary, p.Project
			if _, ok := t.Bases[i.Base]; !ok {
				panic(fmt.Sprintf("programs.json: image %s has no known base %q", i.Image, i.Base))
			}
			if len(i.Sources) == 0 {
				panic(fmt.Sprintf("programs.json: image %s cites no source", i.Image))
			}
			if seen[i.Image] {
				panic(fmt.Sprintf("programs.json: image %s is listed twice", i.Image))
			}
			seen[i.Image] = true
			out = append(out, i)
		}
	}
	return t, out
}

// imageConfig is the image's OCI config: its base's, with what the image itself sets.
func (t table) imageConfig(i imageSpec) map[string]any {
	b := t.Bases[i.Base]
	user, dir, env := b.User, b.WorkingDir, b.Env
	if i.User != nil {
		user = *i.User
	}
	if i.WorkingDir != nil {
		dir = *i.WorkingDir
	}
	if i.Env != nil {
		env = i.Env
	}
	cfg := map[string]any{"User": user, "WorkingDir": dir, "Env": env}
	if len(i.Entrypoint) > 0 {
		cfg["Entrypoint"] = i.Entrypoint
	}
	return cfg
}

// projectVersion is the tag of the project's image: v and its package.json's version.
func projectVersion(project string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(project, "package.json"))
	if err != nil {
		return "", err
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version == "" {
		return "", fmt.Errorf("%s/package.json has no version (%v)", project, err)
	}
	return "v" + pkg.Version, nil
}

// imageArchives writes (or finds) an OCI image archive of every image of the table and
// returns them with their references. The programs' images depend only on the build, so they
// are written once next to it; the project's image is written into the state directory at each
// start, from its working tree.
func imageArchives(o options) ([]archive, error) {
	t, specs := imageTable()
	var out []archive
	for _, i := range specs {
		ref := i.Image + ":" + i.Version
		dir := filepath.Join(o.bin, "images")
		layer := []layerFile{{path: i.Path, from: filepath.Join(o.bin, i.binary), mode: 0o755, caps: i.Capabilities}}
		if i.project {
			if o.node == "" || o.project == "" {
				continue
			}
			version, err := projectVersion(o.project)
			if err != nil {
				return nil, err
			}
			ref, dir = i.Image+":"+version, filepath.Join(o.state, "images")
			layer[0].from = o.node
			for to, from := range i.Files {
				layer = append(layer, layerFile{path: to, from: filepath.Join(o.project, from)})
			}
		}
		// A dynamically linked program (testenv's Go builds use cgo; the npm package's node
		// links glibc) brings the libraries it loads, at their paths.
		libs, err := sharedLibraries(layer[0].from)
		if err != nil {
			return nil, err
		}
		layer = append(layer, libs...)
		name := strings.NewReplacer("/", "_", ":", "_").Replace(ref) + ".tar"
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			if err := writeArchive(path, ref, t.imageLayer(i, layer), t.imageConfig(i)); err != nil {
				return nil, fmt.Errorf("image %s: %w", ref, err)
			}
		}
		out = append(out, archive{ref: ref, path: path})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ref < out[b].ref })
	return out, nil
}

type archive struct{ ref, path string }

// imageLayer lists the image's one layer: its base's users and directories, then its files.
func (t table) imageLayer(i imageSpec, files []layerFile) layerSpec {
	b := t.Bases[i.Base]
	dirs := map[string]string{}
	for d, mode := range b.Dirs {
		dirs[d] = mode
	}
	for d, mode := range i.Dirs {
		dirs[d] = mode
	}
	l := layerSpec{dirs: dirs, files: files, links: i.Links, owner: i.Owner}
	if passwd := append(append([]string{}, b.Passwd...), i.Users.Passwd...); len(passwd) > 0 {
		l.etc = map[string]string{
			"/etc/passwd": strings.Join(passwd, "\n") + "\n",
			"/etc/group":  strings.Join(append(append([]string{}, b.Group...), i.Users.Group...), "\n") + "\n",
		}
	}
	return l
}

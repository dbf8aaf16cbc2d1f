package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// program is how testenv runs a container image: the binary built from the image's upstream
// source, and the version that source has. A container whose image is not in this table, or
// whose tag names another version, does not run: its pod waits, saying why.
type program struct {
	// binary is the file under the build directory, or an absolute path ("" while unknown).
	binary string
	// version is the tag testenv's build matches ("" accepts any tag).
	version string
	// entrypoint is the image's ENTRYPOINT, used when the container names no command.
	entrypoint []string
	// commands are the command names the image holds (argv[0]'s base name); empty accepts any.
	commands []string
	// files maps a directory of the image to where its content is on this machine, for the
	// paths a container's command and args name.
	files map[string]string
}

// projectImage is the project's own image: node running the action's CLI (dist/cli.js), run
// from the working tree testenv was started for, at the version its package.json says.
const projectImage = "ghcr.io/kubefed-action/kubefed-action"

// programs.json is the one table of what testenv builds (testenv/index.mjs reads it too) and
// the images each program can run.
//
//go:embed programs.json
var programsTable []byte

// images maps an image repository to the program built from its source, from programs.json,
// plus the project's own image, which runs once useProject knows where node and the project are.
var images = imagesOf(programsTable)

func imagesOf(table []byte) map[string]program {
	var parsed struct {
		Programs []struct {
			Binary string `json:"binary"`
			Images []struct {
				Image      string   `json:"image"`
				Version    string   `json:"version"`
				Entrypoint []string `json:"entrypoint"`
				Commands   []string `json:"commands"`
			} `json:"images"`
		} `json:"programs"`
	}
	if err := json.Unmarshal(table, &parsed); err != nil {
		panic(fmt.Sprintf("programs.json: %v", err))
	}
	out := map[string]program{
		projectImage: {entrypoint: []string{"node", "/app/dist/cli.js"}, commands: []string{"node"}},
	}
	for _, p := range parsed.Programs {
		for _, i := range p.Images {
			if len(i.Entrypoint) == 0 {
				panic(fmt.Sprintf("programs.json: image %s has no entrypoint", i.Image))
			}
			if _, twice := out[i.Image]; twice {
				panic(fmt.Sprintf("programs.json: image %s is listed twice", i.Image))
			}
			commands := i.Commands
			if len(commands) == 0 {
				commands = []string{path.Base(i.Entrypoint[0])}
			}
			out[i.Image] = program{binary: p.Binary, version: i.Version, entrypoint: i.Entrypoint, commands: commands}
		}
	}
	return out
}

// useProject makes the project's image runnable: node at the given path, /app standing for the
// project's directory, and the tag v<version> of its package.json.
func useProject(node, project string) error {
	if node == "" || project == "" {
		return nil
	}
	raw, err := os.ReadFile(filepath.Join(project, "package.json"))
	if err != nil {
		return err
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version == "" {
		return fmt.Errorf("%s/package.json has no version (%v)", project, err)
	}
	p := images[projectImage]
	p.binary, p.version, p.files = node, "v"+pkg.Version, map[string]string{"/app": project}
	images[projectImage] = p
	return nil
}

// splitImage parses "registry/repo:tag" (a digest is kept as the tag's stand-in). Docker Hub's
// implicit names are spelled short: docker.io/library/x is x.
func splitImage(image string) (repo, tag string) {
	image = strings.TrimPrefix(strings.TrimPrefix(image, "docker.io/"), "library/")
	if at := strings.Index(image, "@"); at >= 0 {
		return image[:at], image[at+1:]
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[:colon], image[colon+1:]
	}
	return image, "latest"
}

// resolve finds the program for a container: the binary to run and the argv (argv[0] as the
// image would see it). The error says why the container cannot run here.
func resolve(image string, command, args []string) (binary string, argv []string, err error) {
	repo, tag := splitImage(image)
	p, ok := images[repo]
	if !ok {
		return "", nil, fmt.Errorf("testenv has no program for image %s (it runs only images it builds from source)", image)
	}
	if p.binary == "" {
		return "", nil, fmt.Errorf("testenv runs image %s only when started with --node and --project", repo)
	}
	if p.version != "" && tag != p.version {
		return "", nil, fmt.Errorf("testenv builds %s %s, not %s", repo, p.version, tag)
	}
	if len(command) == 0 {
		command = p.entrypoint
	}
	name := path.Base(command[0])
	if len(p.commands) > 0 && !contains(p.commands, name) {
		return "", nil, fmt.Errorf("image %s has no command %s", image, command[0])
	}
	return p.binary, p.inImage(append(append([]string{}, command...), args...)), nil
}

// inImage maps the paths of the image's files that argv names to where they are here.
func (p program) inImage(argv []string) []string {
	dirs := make([]string, 0, len(p.files))
	for dir := range p.files {
		dirs = append(dirs, dir)
	}
	// Longest first, so /a/b wins over /a.
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for i, v := range argv {
		for _, dir := range dirs {
			v = replaceAtBoundary(v, dir, p.files[dir], "/")
		}
		argv[i] = v
	}
	return argv
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

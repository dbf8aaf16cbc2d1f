// Imported first by each entry point that runs against clusters, for its effect: the young
// generation of V8's heap stays small (a few MiB; V8 still adds a page now and then).
//
// V8 doubles the young generation whenever many objects survive a scavenge, up to 64 MiB a
// semi-space in Node 24: a 100-member run, whose objects live as long as its requests wait on
// the network, grew it to 128 MiB of its 254 MiB peak with 70 MiB of the heap in use. A run is
// short and spends its time waiting, so it is better off scavenging a small young generation
// more often. `--max-semi-space-size` would cap it, but V8 reads that flag only as it makes the
// heap, and a GitHub Action's `runs.main` starts node without flags; V8 reads the growth factor
// each time it grows, so a factor of 1 set here holds.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');

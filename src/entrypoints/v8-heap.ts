// Imported first by each entry point that runs against clusters, for its effect: V8's heap
// stays near what the run holds. A run is short and spends its time waiting on the network,
// so it is better off collecting a little more often than growing; and a GitHub Action's
// `runs.main` starts node without flags, so the flags are set here, at run time. Each holds
// because V8 reads it each time it decides, not only as it makes the heap (as it does
// `--max-semi-space-size` and `--max-old-space-size`, which would do nothing here).
//
// - The young generation stays at its first size (a few MiB; V8 still adds a page now and
//   then). V8 doubles it whenever many objects survive a scavenge, up to 64 MiB a semi-space in
//   Node 24: a 100-member run, whose objects live as long as its requests wait on the network,
//   grew it to 128 MiB of its 254 MiB peak with 70 MiB of the heap in use.
// - The old generation is collected once it has grown a fifth (or 8 MiB, V8's least step) past
//   what the last full collection kept, rather than the up to 4x V8 allows a heap it collects
//   quickly. A 100-member join at 25 ms keeps about 30 MiB but promotes as much again, in
//   objects that outlive two scavenges only because their requests are in flight: V8 let the
//   heap reach 51 MiB before its first full collection after start-up. Interleaved, three
//   each, such a join peaked at 146-149 MiB without this and 130-135 MiB with it; the more
//   frequent full collections cost some CPU, less than this machine's spread between runs.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--heap-growing-percent=20');

// Shell completion for the CLI (`kubefed completion bash|zsh`), generated from the commands
// the program defines, so a new flag completes without anyone editing a script. Pure.

export interface CompletedFlag {
  /** The long flag, with its dashes ("--host-cluster-context"); the short one if it has one. */
  names: string[];
  /** The words its value completes to; 'contexts' asks the kubeconfig for its contexts. */
  values?: readonly string[] | 'contexts';
  /** Its value only ever follows an "=" (a boolean flag: `--dry-run true` is the flag, then an argument). */
  joined?: boolean;
}

export interface CompletedCommand {
  name: string;
  flags: CompletedFlag[];
}

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** The hidden command that prints the kubeconfig's context names, each ended by a NUL (a name may hold a newline). */
export const CONTEXTS_COMMAND = '__contexts';

/** Words the script holds as they are (commands, flags, known values): nothing a shell expands. */
const plain = (words: readonly string[]) => words.join(' ').replace(/[^\w .:/-]/g, '');

/**
 * A bash completion function for `program`: commands first, then each command's flags, and the
 * values of the flags that have a known set (contexts come from the kubeconfig on the line, else
 * $KUBECONFIG). zsh runs the same function through bashcompinit.
 *
 * Context names are data from a file: they are never handed to `compgen -W`, which expands
 * `$(...)` in its word list, but matched literally, and a name holding anything a shell would
 * read as code is offered quoted, so that the completed line passes it as one word.
 */
export function completionScript(shell: Shell, program: string, commands: CompletedCommand[]): string {
  const fn = `_${program.replace(/\W/g, '_')}`;
  const contexts =
    `while IFS= read -r -d '' w; do candidates+=("$w"); done ` +
    `< <("${program}" ${CONTEXTS_COMMAND} \${kubeconfig:+"$kubeconfig"} 2>/dev/null)`;
  const valueCases = commands.flatMap((c) =>
    c.flags.flatMap((f) => {
      if (!f.values) return [];
      const patterns = f.names.map((n) => `${c.name}:${n}`).join('|');
      const words = f.values === 'contexts' ? contexts : `candidates=(${plain(f.values)})`;
      return [`      ${patterns}) ${f.joined ? `[[ -n "$joined" ]] && ${words}` : words} ;;`];
    }),
  );
  const flagCases = commands.map((c) => `        ${c.name}) candidates=(${plain(c.flags.flatMap((f) => f.names))}) ;;`);
  const lines = [
    `# ${shell} completion for ${program}: eval "$(${program} completion ${shell})"`,
    ...(shell === 'zsh'
      ? [
          '(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }',
          'autoload -U +X bashcompinit && bashcompinit',
        ]
      : []),
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="${COMP_WORDS[1]}"',
    '  local kubeconfig="" joined="" i w q before rest',
    '  local -a candidates=()',
    '  if [[ -n "$COMP_LINE" ]]; then',
    // The words as the user sees them: bash also splits at ":" and "=", which context names
    // (an EKS ARN, say) and --flag=value hold.
    '    before="${COMP_LINE:0:$COMP_POINT}"; cur="${before##*[[:space:]=]}"; rest="${before%"$cur"}"',
    '    [[ "$rest" == *= ]] && joined=1',
    '    while [[ "$rest" == *[[:space:]=] ]]; do rest="${rest%?}"; done',
    '    prev="${rest##*[[:space:]=]}"',
    '  elif [[ "$cur" == "=" ]]; then cur=""; joined=1',
    '  elif [[ "$prev" == "=" && $COMP_CWORD -ge 2 ]]; then prev="${COMP_WORDS[COMP_CWORD-2]}"; joined=1',
    '  fi',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    if [[ "${COMP_WORDS[i]}" == --kubeconfig ]]; then',
    '      [[ "${COMP_WORDS[i+1]}" == "=" ]] && kubeconfig="${COMP_WORDS[i+2]}" || kubeconfig="${COMP_WORDS[i+1]}"',
    '      kubeconfig="--kubeconfig=${kubeconfig/#\\~/$HOME}"',
    '    fi',
    '  done',
    '  if [[ $COMP_CWORD -eq 1 ]]; then',
    `    candidates=(${plain(commands.map((c) => c.name))})`,
    '  else',
    '    case "$cmd:$prev" in',
    ...valueCases,
    '    esac',
    '    if [[ ${#candidates[@]} -eq 0 && "$cur" == -* ]]; then',
    '      case "$cmd" in',
    ...flagCases,
    '      esac',
    '    fi',
    '  fi',
    '  COMPREPLY=()',
    '  for w in "${candidates[@]}"; do',
    '    q="$w"',
    '    [[ "$w" == *[!A-Za-z0-9_.:/@%+,=-]* ]] && printf -v q %q "$w"',
    // Typed as it reads, or as it is quoted ("\\$\\(to" for "$(to").
    '    [[ "$w" == "$cur"* || "$q" == "$cur"* ]] && COMPREPLY+=("$q")',
    '  done',
    // What bash will put in place of its own last word, which starts after the last ":".
    '  [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]] && COMPREPLY=("${COMPREPLY[@]#"${cur%"${cur##*:}"}"}")',
    // zsh replaces the whole word, "--flag=" included.
    '  [[ -n "$ZSH_VERSION" ]] && COMPREPLY=("${COMPREPLY[@]/#/${COMP_WORDS[COMP_CWORD]%"$cur"}}")',
    '  return 0',
    '}',
    `complete -o default -F ${fn} ${program}`,
  ];
  return `${lines.join('\n')}\n`;
}

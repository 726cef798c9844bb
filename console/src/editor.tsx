// CodeMirror 6 editors of the console: JSON documents (with parse errors), JQL queries (JSON
// with completion of field names and operators) and SQL. Colours come from the page's CSS
// variables, so the editors follow the theme.
import { useEffect, useRef } from 'preact/hooks';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection, placeholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, syntaxHighlighting, HighlightStyle, indentOnInput } from '@codemirror/language';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type CompletionContext, type Completion } from '@codemirror/autocomplete';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { sql, PostgreSQL } from '@codemirror/lang-sql';
import { linter, lintGutter } from '@codemirror/lint';
import { tags } from '@lezer/highlight';

const highlight = HighlightStyle.define([
  { tag: tags.propertyName, color: 'var(--tok-key)' },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--tok-string)' },
  { tag: [tags.number, tags.bool, tags.null], color: 'var(--tok-number)' },
  { tag: [tags.keyword, tags.operatorKeyword], color: 'var(--tok-keyword)', fontWeight: 'bold' },
  { tag: [tags.comment], color: 'var(--muted)', fontStyle: 'italic' },
  { tag: [tags.typeName, tags.function(tags.variableName)], color: 'var(--tok-key)' },
]);

const theme = EditorView.theme({
  '&': { backgroundColor: 'var(--input-bg)', color: 'var(--fg)', border: '1px solid var(--border)', borderRadius: '6px' },
  '&.cm-focused': { outline: '3px solid var(--focus)', outlineOffset: '1px' },
  '.cm-content': { caretColor: 'var(--fg)', fontFamily: 'var(--mono)' },
  '.cm-gutters': { backgroundColor: 'var(--panel)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'var(--active-line)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--active-line)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: 'var(--selection)' },
  '.cm-tooltip': { backgroundColor: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--border)' },
  '.cm-tooltip-autocomplete ul li[aria-selected]': { backgroundColor: 'var(--accent)', color: 'var(--accent-fg)' },
  '.cm-completionDetail': { color: 'inherit', fontStyle: 'normal', opacity: '1' },
  '.cm-diagnostic-error': { borderLeft: '4px solid var(--danger)' },
});

export const JQL_OPERATORS: [string, string][] = [
  ['$eq', 'equal'], ['$ne', 'not equal'], ['$gt', 'greater than'], ['$gte', 'greater or equal'],
  ['$lt', 'less than'], ['$lte', 'less or equal'], ['$in', 'one of'], ['$nin', 'none of'],
  ['$and', 'all of'], ['$or', 'any of'], ['$nor', 'none of the filters'], ['$not', 'negation'],
  ['$exists', 'field present'], ['$type', 'JSON type'], ['$startsWith', 'string prefix'],
  ['$regex', 'regular expression'], ['$all', 'array holds all'], ['$elemMatch', 'an element matches'],
  ['$size', 'array length'], ['$count', 'count metric'], ['$sum', 'sum metric'], ['$avg', 'average metric'],
  ['$min', 'minimum metric'], ['$max', 'maximum metric'], ['$percentile', 'percentile metric'],
];
const JQL_KEYS = ['filter', 'sort', 'fields', 'limit', 'after', 'count', 'aggregate', 'distinct', 'explain', 'hint', 'groupBy', 'metrics'];

/** Completion inside JSON strings: JQL's keys and operators, and the collection's field paths. */
function jqlCompletion(fields: () => string[]) {
  return (context: CompletionContext) => {
    const word = context.matchBefore(/"[$\w.]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const options: Completion[] = [
      ...JQL_OPERATORS.map(([label, detail]) => ({ label: `"${label}"`, detail, type: 'keyword' })),
      ...JQL_KEYS.map((k) => ({ label: `"${k}"`, detail: 'query', type: 'property' })),
      ...fields().map((f) => ({ label: `"${f}"`, detail: 'field', type: 'variable' })),
    ];
    return { from: word.from, options, validFor: /^"[$\w.]*$/ };
  };
}

/**
 * The per-page nonce the node puts in index.html and in its Content-Security-Policy, so that
 * CodeMirror's own style element is allowed while inline styles in general are not.
 */
const cspNonce = document.querySelector('meta[name="lumadb-csp-nonce"]')?.getAttribute('content') ?? '';

export type Language = 'json' | 'jql' | 'sql';

function sqlLanguage(tables: Record<string, string[]>): Extension {
  return sql({ dialect: PostgreSQL, schema: tables, upperCaseKeywords: true });
}

export interface EditorProps {
  value: string;
  onChange: (value: string) => void;
  language: Language;
  label: string;
  /** JQL: field paths to complete; SQL: table name → columns. */
  fields?: string[];
  tables?: Record<string, string[]>;
  onRun?: () => void;
  minHeight?: string;
  id?: string;
}

export function Editor(props: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;
  // The texts this editor reported lately: a render that still carries one of them is behind the
  // editor, not a new value from outside, and must not overwrite what was typed since.
  const emitted = useRef<string[]>([]);

  const sqlSchema = useRef(new Compartment());

  useEffect(() => {
    const run = keymap.of([
      { key: 'Mod-Enter', run: () => (latest.current.onRun?.(), true) },
    ]);
    const language: Extension =
      props.language === 'sql'
        ? sqlSchema.current.of(sqlLanguage(props.tables ?? {}))
        : [json(), linter(jsonParseLinter(), { delay: 200 }), lintGutter()];
    const extensions: Extension[] = [
      EditorView.cspNonce.of(cspNonce),
      run,
      lineNumbers(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      closeBrackets(),
      highlightActiveLine(),
      syntaxHighlighting(highlight),
      language,
      // Tab is left to the browser, so the keyboard moves through the page and never gets stuck in
      // an editor (Enter indents; Ctrl+[ and Ctrl+] change indentation).
      keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
      theme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': props.label, 'aria-multiline': 'true' }),
      placeholder(props.language === 'sql' ? 'SELECT ...' : '{ }'),
      EditorView.updateListener.of((u) => {
        if (!u.docChanged) return;
        const text = u.state.doc.toString();
        emitted.current = [...emitted.current.slice(-49), text];
        latest.current.onChange(text);
      }),
    ];
    if (props.language === 'jql') {
      extensions.push(autocompletion({ override: [jqlCompletion(() => latest.current.fields ?? [])] }));
    } else if (props.language === 'sql') {
      extensions.push(autocompletion());
    }
    view.current = new EditorView({
      state: EditorState.create({ doc: props.value, extensions }),
      parent: host.current!,
    });
    return () => view.current?.destroy();
    // The editor is rebuilt when its language changes; its text follows `value`.
  }, [props.language]);

  // New SQL tables (sampled after the editor opened) only reconfigure completion.
  useEffect(() => {
    if (props.language === 'sql' && view.current) {
      view.current.dispatch({ effects: sqlSchema.current.reconfigure(sqlLanguage(props.tables ?? {})) });
    }
  }, [JSON.stringify(props.tables ?? {})]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value && !emitted.current.includes(props.value)) {
      emitted.current = [];
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  return <div class="editor" id={props.id} ref={host} style={props.minHeight ? { minHeight: props.minHeight } : undefined} />;
}

/** The parse error of `text` as JSON, or null when it is a JSON object. */
export function jsonObjectError(text: string): string | null {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? null : 'a document is a JSON object ({ ... })';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Field paths (a.b.c) of sampled documents, for completion and table columns. */
export function fieldPaths(docs: unknown[], depth = 3): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, prefix: string, d: number) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || d > depth) return;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const path = prefix ? `${prefix}.${k}` : k;
      out.add(path);
      walk(child, path, d + 1);
    }
  };
  docs.forEach((doc) => walk(doc, '', 1));
  return [...out].sort();
}

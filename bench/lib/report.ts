/** One line of a benchmark table: a figure beside the baseline measured in the same run. */
export interface Row {
  /** What was measured, e.g. `GET /v1/me, embedded store`. */
  what: string
  /** The figure, formatted (`formatLoad`, `formatMb`). */
  figure: string
  /** The baseline it is compared with, formatted the same way. */
  baseline: string
  /** The figure as a share or multiple of the baseline (`percent`, `times`). */
  ratio: string
  /** The target the figure is held to, e.g. `≥ 70 %`; `-` when there is none. */
  target: string
  /** Whether the target is met; undefined when there is no target. */
  met: boolean | undefined
}

/** One titled table of BENCHMARKS.md, with the notes that explain it (what bounds a missed target). */
export interface Section {
  title: string
  /** Paragraph under the title: what runs, how the load is made. */
  intro?: string
  rows: Row[]
  /** Bullet points under the table. */
  notes?: string[]
}

/** What a load run reports (bench/lib/load.ts). */
export interface LoadFigures {
  requestsPerSec: number
  /** Latency percentiles in milliseconds (autocannon records whole milliseconds). */
  p50: number
  p99: number
  non2xx: number
  errors: number
  /** CPU time the server process spent per answered request, in microseconds; undefined when not sampled. */
  cpuUsPerRequest: number | undefined
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** `12,345 req/s · p50 1 ms · p99 3 ms · 80 µs CPU/req` */
export function formatLoad(figures: LoadFigures): string {
  const parts = [
    `${integer.format(figures.requestsPerSec)} req/s`,
    `p50 ${figures.p50} ms`,
    `p99 ${figures.p99} ms`,
  ]
  if (figures.cpuUsPerRequest !== undefined)
    parts.push(`${integer.format(figures.cpuUsPerRequest)} µs CPU/req`)
  return parts.join(' · ')
}

/** Kibibytes as `123.4 MB` (MiB, as `ps` and /proc count). */
export function formatMb(kb: number): string {
  return `${(kb / 1024).toFixed(1)} MB`
}

/** `figure / baseline` as a whole percentage. */
export function percent(figure: number, baseline: number): string {
  return baseline > 0 ? `${Math.round((figure / baseline) * 100)} %` : 'n/a'
}

/** `figure / baseline` as a multiple, e.g. `2.4×`. */
export function times(figure: number, baseline: number): string {
  return baseline > 0 ? `${(figure / baseline).toFixed(1)}×` : 'n/a'
}

/** Markdown for one section. */
export function renderSection(section: Section): string {
  const lines = [`### ${section.title}`, '']
  if (section.intro) lines.push(section.intro, '')
  lines.push('| what | figure | baseline | ratio | target | met? |', '| --- | --- | --- | --- | --- | --- |')
  for (const row of section.rows) {
    const met = row.met === undefined ? '-' : row.met ? 'yes' : '**no**'
    lines.push(
      `| ${[row.what, row.figure, row.baseline, row.ratio, row.target, met].map(escapeCell).join(' | ')} |`,
    )
  }
  if (section.notes && section.notes.length > 0) lines.push('', ...section.notes.map((note) => `- ${note}`))
  return lines.join('\n')
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

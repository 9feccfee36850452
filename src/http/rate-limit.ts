import type { CompanySettings, RateLimitFamily } from '../db/schema.ts'

/** Attentive's published limits in requests per second per key and endpoint (ATTENTIVE_API.md §1.5). */
export const DEFAULT_LIMITS: Record<RateLimitFamily, number> = {
  default: 150,
  subscribe: 10,
  identity: 10,
  unsubscribe: 5,
  catalogUpload: 1,
}

/** Limit for requests that carry no valid key, per client IP. */
export const UNAUTHENTICATED_LIMIT = 150

/** What a request learns from the limiter; `retryAfterSeconds` is set only when it is refused. */
export interface RateDecision {
  allowed: boolean
  limit: number
  remaining: number
  retryAfterSeconds?: number
}

interface Bucket {
  tokens: number
  updated: number
}

/**
 * Token buckets per (credential, method + route template): capacity = limit, refilled at limit per second, so
 * a client may burst to the limit and then keep the limit's pace. Buckets live in this process; with several API
 * processes each enforces limit / ATTUNE_API_PROCESSES (at least 1), which with an even balancer keeps the fleet
 * at the published limit without a database round trip per request (ADR 0006).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly share: number
  private lastSweep = 0

  /** `processes`: how many API processes share the limits (ATTUNE_API_PROCESSES). */
  constructor(processes = 1) {
    this.share = processes
  }

  /** The effective per-second limit of `family` for a company, after its overrides and this process's share. */
  limitFor(family: RateLimitFamily, settings: CompanySettings | undefined): number {
    const configured = settings?.rateLimits?.[family] ?? DEFAULT_LIMITS[family]
    return Math.max(1, Math.ceil(configured / this.share))
  }

  /** Takes one token from the bucket `key` if there is one. */
  take(key: string, limit: number, nowMs: number): RateDecision {
    this.sweep(nowMs)
    const bucket = this.buckets.get(key) ?? { tokens: limit, updated: nowMs }
    const refilled = Math.min(limit, bucket.tokens + ((nowMs - bucket.updated) / 1000) * limit)
    if (refilled >= 1) {
      bucket.tokens = refilled - 1
      bucket.updated = nowMs
      this.buckets.set(key, bucket)
      return { allowed: true, limit, remaining: Math.floor(bucket.tokens) }
    }
    bucket.tokens = refilled
    bucket.updated = nowMs
    this.buckets.set(key, bucket)
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - refilled) / limit))
    return { allowed: false, limit, remaining: 0, retryAfterSeconds }
  }

  /** Drops buckets that have refilled completely (they hold no information), at most once a second. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < 1000 || this.buckets.size < 1000) return
    this.lastSweep = nowMs
    for (const [key, bucket] of this.buckets) {
      if (nowMs - bucket.updated > 60_000) this.buckets.delete(key)
    }
  }
}

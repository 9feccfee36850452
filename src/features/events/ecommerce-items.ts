import { AppError } from '../../http/errors.ts'
import type { EcommerceEventBody } from './events.schemas.ts'

type ItemBody = EcommerceEventBody['items'][number]

/** An item as stored: prices as exact decimal strings with an ISO 4217 code, the quantity as a number. */
export interface StoredItem {
  productId: string
  productVariantId: string
  price: Array<{ value: string; currency: string }>
  productImage?: string
  productUrl?: string
  name?: string
  quantity?: number
}

/** The items of one eCommerce event, with what the rollups and segments read from them. */
export interface ReadItems {
  items: StoredItem[]
  productIds: string[]
  /** Sum of the first price × quantity (default 1) over the items, or null when their currencies differ. */
  value: string | null
  currency: string | null
}

// ISO 4217 codes as ICU knows them (Node's Intl): the currencies in use today, so "XYZ" or "US$" are refused.
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'))
// Up to 15 integer and 10 fractional digits: more than any price, and exact in numeric.
const DECIMAL = /^\d{1,15}(\.\d{1,10})?$/
const SCALE = 10n ** 10n

function priceError(field: string, shown: unknown, what: string): AppError {
  return new AppError(
    'invalid_price',
    `${field}: ${JSON.stringify(shown)} ${what}; use a decimal number such as 19.99 or a decimal string such as "19.99"`,
    { field },
  )
}

/** A price value as an exact decimal string: JSON numbers and numeric strings, never negative or in exponent form. */
function decimalOf(value: number | string, field: string): string {
  let text: string
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw priceError(field, value, 'is not a number')
    // 1e-7 prints in exponent form; toFixed keeps it a plain decimal.
    text = /e/i.test(String(value)) ? value.toFixed(10).replace(/\.?0+$/, '') : String(value)
  } else {
    text = value.trim()
  }
  if (text.startsWith('-')) throw priceError(field, value, 'is negative')
  if (!DECIMAL.test(text)) throw priceError(field, value, 'is not a decimal number of at most 15 digits and 10 decimals')
  return text
}

function currencyOf(value: string | undefined, field: string): string {
  if (value === undefined) return 'USD' // [OA]: the default
  const code = value.trim().toUpperCase()
  if (!CURRENCIES.has(code)) {
    throw new AppError('invalid_currency', `${field}: '${value}' is not an ISO 4217 currency code; use three letters such as USD or EUR`, {
      field,
    })
  }
  return code
}

function pricesOf(price: ItemBody['price'], field: string): StoredItem['price'] {
  // Tolerated (§1.7): a bare number or decimal string, or a single object, besides [OA]'s array.
  if (typeof price === 'number' || typeof price === 'string') return [{ value: decimalOf(price, field), currency: 'USD' }]
  const list = Array.isArray(price) ? price : [price]
  const at = (index: number) => (Array.isArray(price) ? `${field}[${index}]` : field)
  return list.map((entry, index) => ({
    value: decimalOf(entry.value, `${at(index)}.value`),
    currency: currencyOf(entry.currency, `${at(index)}.currency`),
  }))
}

function quantityOf(quantity: ItemBody['quantity'], field: string): number | undefined {
  if (quantity === undefined) return undefined
  if (typeof quantity === 'number') return quantity
  const text = quantity.trim()
  if (!/^\d{1,9}$/.test(text)) {
    throw new AppError('invalid_quantity', `${field}: '${quantity}' is not a whole number; use a number such as 2 or a string such as "2"`, {
      field,
    })
  }
  return Number(text)
}

function scaled(decimal: string): bigint {
  const [whole = '0', fraction = ''] = decimal.split('.')
  return BigInt(whole) * SCALE + BigInt(fraction.padEnd(10, '0'))
}

function unscaled(value: bigint): string {
  const whole = value / SCALE
  const fraction = (value % SCALE).toString().padStart(10, '0').replace(/0+$/, '')
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`
}

/**
 * Checks and normalises the items of an eCommerce event (ATTENTIVE_API.md §2.5): prices become exact decimal
 * strings with an upper-case ISO 4217 code (default USD), quantities numbers. Throws the 400 naming the field.
 */
export function readItems(items: ItemBody[], field: string): ReadItems {
  const stored = items.map((item, index): StoredItem => {
    const at = `${field}[${index}]`
    const quantity = quantityOf(item.quantity, `${at}.quantity`)
    return {
      productId: item.productId,
      productVariantId: item.productVariantId,
      price: pricesOf(item.price, `${at}.price`),
      ...(item.productImage !== undefined ? { productImage: item.productImage } : {}),
      ...(item.productUrl !== undefined ? { productUrl: item.productUrl } : {}),
      ...(item.name !== undefined ? { name: item.name } : {}),
      ...(quantity !== undefined ? { quantity } : {}),
    }
  })
  const currencies = new Set(stored.map((item) => item.price[0]?.currency))
  const [currency] = currencies
  const value =
    currencies.size === 1 && currency !== undefined
      ? unscaled(stored.reduce((sum, item) => sum + scaled(item.price[0]?.value ?? '0') * BigInt(item.quantity ?? 1), 0n))
      : null
  return {
    items: stored,
    productIds: [...new Set(stored.map((item) => item.productId))],
    value,
    currency: value === null ? null : (currency ?? null),
  }
}

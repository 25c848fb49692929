/**
 * ISO 4217 alphabetic currency codes. Inlined rather than read from
 * `Intl.supportedValuesOf('currency')`: that list depends on the ICU build (Node 20 ships 162
 * codes and omits fund codes such as BOV and CLF), and a rule's verdict must not change when a
 * workflow replays on another Node version.
 *
 * List one of ISO 4217 as amended through 2025 (XCG, ZWG), without XTS (testing) and XXX (no
 * currency), which never price a real invoice; plus HRK, withdrawn in 2023 but still on invoices
 * from before the euro changeover in Croatia.
 */
// prettier-ignore
const CODES = (
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN ' +
  'BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ' +
  'ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ' +
  'ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD ' +
  'MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR ' +
  'PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL ' +
  'THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF ' +
  'XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG ZWL'
).split(' ');

export const ISO_4217_CODES: ReadonlySet<string> = new Set(CODES);

export const isIso4217 = (code: string): boolean => ISO_4217_CODES.has(code);

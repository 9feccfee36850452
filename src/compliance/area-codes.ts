/** What a NANP area code says about its holder: the country, the states/provinces it serves, the zones in use. */
export type AreaCode = { npa: string; country: string; regions: string[]; zones: string[] }

// One IANA zone stands for every zone with the same rules since 2007 (America/New_York for Detroit and
// Indianapolis, America/Denver for Boise, America/Chicago for North_Dakota/*), so a split lists each rule set once.
const ET = 'America/New_York'
const CT = 'America/Chicago'
const MT = 'America/Denver'
const AZ = 'America/Phoenix'
const PT = 'America/Los_Angeles'
const AK = 'America/Anchorage'
const HT = 'America/Adak'
const HI = 'Pacific/Honolulu'
const AT = 'America/Halifax'
const SK = 'America/Regina'
const NT = 'America/St_Johns'
const LAB = 'America/Goose_Bay'
const EDM = 'America/Edmonton'
const VAN = 'America/Vancouver'
const WPG = 'America/Winnipeg'
const TOR = 'America/Toronto'
const YUK = 'America/Whitehorse'

// [country, regions, zones, area codes]. Built from the NANPA assignments as listed in libphonenumber's geocoding
// and time-zone metadata (every geographic code valid in libphonenumber-js 1.13.16), with these corrections:
// - an area code spanning zones lists all of them, and overlays list the zones of the codes they overlay
//   (448 is the 850 overlay, 364 the 270 one, 930 the 812 one, 458 the 541 one, 986 the 208 one);
// - 850/448: the Florida Panhandle is Central west of the Apalachicola River (Pensacola), Eastern east of it;
// - 928: the Navajo Nation keeps daylight time inside otherwise DST-free Arizona;
// - 334: Phenix City and its neighbours in Alabama live on Eastern time, unofficially but in practice;
// - 689 (Orlando overlay) is Eastern, 474 (Saskatchewan overlay) is Saskatchewan time, whatever older data says;
// - 306/639/474: Lloydminster's Saskatchewan side keeps Alberta time;
// - 709/879: Labrador mostly keeps Atlantic time, Newfoundland its own UTC−3:30;
// - 418/367/581: the Magdalen Islands and Quebec's Lower North Shore keep Atlantic time;
// - 250 and the BC-wide overlays 778/236/672/257: the Kootenays and Peace River keep Mountain time.
// Non-geographic codes (toll-free 8XX, personal 5XX, Canada's 600/622/633, 900) are deliberately absent: callers
// fall back to the company's zone (COMPLIANCE.md §1.8).
const TABLE: Array<[country: string, regions: string, zones: string[], codes: string]> = [
  ['US', 'AL', [CT], '205 251 256 659 938'],
  ['US', 'AL', [CT, ET], '334'],
  ['US', 'AK', [AK, HT], '907'],
  ['US', 'AZ', [AZ], '480 520 602 623'],
  ['US', 'AZ', [AZ, MT], '928'],
  ['US', 'AR', [CT], '327 479 501 870'],
  [
    'US',
    'CA',
    [PT],
    '209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 738 ' +
      '747 760 805 818 820 831 840 858 909 916 925 949 951',
  ],
  ['US', 'CO', [MT], '303 719 720 748 970 983'],
  ['US', 'CT', [ET], '203 475 860 959'],
  ['US', 'DC', [ET], '202 771'],
  ['US', 'DE', [ET], '302'],
  ['US', 'FL', [ET], '239 305 321 324 352 386 407 561 645 656 689 727 728 754 772 786 813 863 904 941 954'],
  ['US', 'FL', [CT, ET], '448 850'],
  ['US', 'GA', [ET], '229 404 470 478 678 706 762 770 912 943'],
  ['US', 'HI', [HI], '808'],
  ['US', 'IA', [CT], '319 515 563 641 712'],
  ['US', 'ID', [MT, PT], '208 986'],
  ['US', 'IL', [CT], '217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 872'],
  ['US', 'IN', [ET], '260 317 463 765'],
  ['US', 'IN', [CT, ET], '219 574 812 930'],
  ['US', 'KS', [CT], '316 913'],
  ['US', 'KS', [CT, MT], '620 785'],
  ['US', 'KY', [ET], '502 859'],
  ['US', 'KY', [CT, ET], '270 364 606'],
  ['US', 'LA', [CT], '225 318 337 504 985'],
  ['US', 'ME', [ET], '207'],
  ['US', 'MD', [ET], '227 240 301 410 443 667'],
  ['US', 'MA', [ET], '339 351 413 508 617 774 781 857 978'],
  ['US', 'MI', [ET], '231 248 269 313 517 586 616 734 810 947 989'],
  ['US', 'MI', [ET, CT], '906'],
  ['US', 'MN', [CT], '218 320 507 612 651 763 952'],
  ['US', 'MS', [CT], '228 601 662 769'],
  ['US', 'MO', [CT], '235 314 417 557 573 636 660 816 975'],
  ['US', 'MT', [MT], '406'],
  ['US', 'NE', [CT], '402 531'],
  ['US', 'NE', [CT, MT], '308'],
  ['US', 'NV', [PT], '702 725'],
  ['US', 'NV', [PT, MT], '775'],
  ['US', 'NH', [ET], '603'],
  ['US', 'NJ', [ET], '201 551 609 640 732 848 856 862 908 973'],
  ['US', 'NM', [MT], '505 575'],
  ['US', 'NY', [ET], '212 315 329 332 347 363 516 518 585 607 631 646 680 716 718 838 845 914 917 929 934'],
  ['US', 'NC', [ET], '252 336 472 704 743 828 910 919 980 984'],
  ['US', 'ND', [CT, MT], '701'],
  ['US', 'OH', [ET], '216 220 234 283 326 330 380 419 440 513 567 614 740 937'],
  ['US', 'OK', [CT], '405 539 572 580 918'],
  ['US', 'OR', [PT], '503 971'],
  ['US', 'OR', [PT, MT], '458 541'],
  ['US', 'PA', [ET], '215 223 267 272 412 445 484 570 582 610 717 724 814 835 878'],
  ['US', 'RI', [ET], '401'],
  ['US', 'SC', [ET], '803 821 839 843 854 864'],
  ['US', 'SD', [CT, MT], '605'],
  ['US', 'TN', [CT], '615 629 731 901 931'],
  ['US', 'TN', [ET], '865'],
  ['US', 'TN', [ET, CT], '423'],
  [
    'US',
    'TX',
    [CT],
    '210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 936 940 945 956 972 979',
  ],
  ['US', 'TX', [MT], '915'],
  ['US', 'UT', [MT], '385 435 801'],
  ['US', 'VT', [ET], '802'],
  ['US', 'VA', [ET], '276 434 540 571 686 703 757 804 826 948'],
  ['US', 'WA', [PT], '206 253 360 425 509 564'],
  ['US', 'WV', [ET], '304 681'],
  ['US', 'WI', [CT], '262 274 353 414 534 608 715 920'],
  ['US', 'WY', [MT], '307'],
  ['CA', 'AB', [EDM], '368 403 587 780 825'],
  ['CA', 'BC', [VAN], '604'],
  ['CA', 'BC', [VAN, EDM], '236 250 257 672 778'],
  ['CA', 'MB', [WPG], '204 431 584'],
  ['CA', 'NB', [AT], '428 506'],
  ['CA', 'NL', [NT, LAB], '709 879'],
  ['CA', 'NS PE', [AT], '782 902'],
  ['CA', 'ON', [TOR], '226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 905 942'],
  ['CA', 'ON', [TOR, WPG], '807'],
  ['CA', 'QC', [TOR], '263 354 438 450 468 514 579 819 873'],
  ['CA', 'QC', [TOR, AT], '367 418 581'],
  ['CA', 'SK', [SK, EDM], '306 474 639'],
  ['CA', 'YT NT NU', [YUK, EDM, WPG, TOR], '867'],
  // US territories (their own ISO codes in libphonenumber) and the other NANP countries.
  ['PR', 'PR', ['America/Puerto_Rico'], '787 939'],
  ['VI', 'VI', ['America/St_Thomas'], '340'],
  ['GU', 'GU', ['Pacific/Guam'], '671'],
  ['MP', 'MP', ['Pacific/Saipan'], '670'],
  ['AS', 'AS', ['Pacific/Pago_Pago'], '684'],
  ['AG', 'AG', ['America/Antigua'], '268'],
  ['AI', 'AI', ['America/Anguilla'], '264'],
  ['BB', 'BB', ['America/Barbados'], '246'],
  ['BM', 'BM', ['Atlantic/Bermuda'], '441'],
  ['BS', 'BS', ['America/Nassau'], '242'],
  ['DM', 'DM', ['America/Dominica'], '767'],
  ['DO', 'DO', ['America/Santo_Domingo'], '809 829 849'],
  ['GD', 'GD', ['America/Grenada'], '473'],
  ['JM', 'JM', ['America/Jamaica'], '658 876'],
  ['KN', 'KN', ['America/St_Kitts'], '869'],
  ['KY', 'KY', ['America/Cayman'], '345'],
  ['LC', 'LC', ['America/St_Lucia'], '758'],
  ['MS', 'MS', ['America/Montserrat'], '664'],
  ['SX', 'SX', ['America/Lower_Princes'], '721'],
  ['TC', 'TC', ['America/Grand_Turk'], '649'],
  ['TT', 'TT', ['America/Port_of_Spain'], '868'],
  ['VC', 'VC', ['America/St_Vincent'], '784'],
  ['VG', 'VG', ['America/Tortola'], '284'],
]

const BY_NPA = new Map<string, AreaCode>()
for (const [country, regions, zones, codes] of TABLE) {
  for (const npa of codes.split(' ')) {
    if (BY_NPA.has(npa)) throw new Error(`area code ${npa} is listed twice`)
    BY_NPA.set(npa, { npa, country, regions: regions.split(' '), zones })
  }
}

/** Every area code in the table, for tests and documentation. */
export function knownAreaCodes(): AreaCode[] {
  return [...BY_NPA.values()]
}

/**
 * Looks up the area code of a NANP number in E.164 (`+1NPANXXXXXX`). Undefined for non-NANP numbers,
 * non-geographic codes (toll-free, personal, 900) and codes not in the table: the caller then uses the company's
 * zone. Numbers move (porting, mobility), so this is a presumption, as the Florida and Oklahoma laws make it.
 */
export function lookupAreaCode(e164: string): AreaCode | undefined {
  const match = /^\+1([2-9]\d\d)[2-9]\d{6}$/.exec(e164)
  return match ? BY_NPA.get(match[1]!) : undefined
}

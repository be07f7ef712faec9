#!/usr/bin/env node
// Seeded synthetic roster for the batch benchmark: one CSV row per person, households of
// 1–6 members standing together (unless --shuffle-fraction moves some away), every ID number
// and disability certificate number valid and agreeing with the other columns.
//
// Streams to disk in 64 Ki-character pieces (2.8 × faster than 1 MiB pieces: less garbage
// collection), with memory bounded independently of --persons: a table of ID sequence
// counters (prefixes × days × 2 sexes × 2 bytes, about 2 MB) and the --shuffle-fraction pool
// of at most SHUFFLE_POOL rows. Peak RSS measured: 118 MB at 1M persons, 139 MB at 5M.
// Writes FILE.tmp and renames it at the end, so a partial file is never left under the final
// name. The same options give the same bytes (the same seed, the same file).
//
// Usage:
//   node bench/gen-roster.mjs --persons N --seed S --out FILE
//        [--regions 530100,140881,610103,500105,370800] [--encoding utf8|gb18030]
//        [--chinese-headers] [--chinese-values] [--shuffle-fraction F] [--blank-fraction F]
//        [--as-of 2025-07-01] [--bom] [--crlf] [--quiet]
//
// Columns (canonical names of src/io/headers.ts, in its order):
//   household_id, person_id, name, id_number, birth_date, sex, relation, hukou, region,
//   disability_certificate, disability_category, disability_grade, autism, monthly_income,
//   employment_income, employment_start, employed, needs_long_term_care, special_hardship,
//   orphan, work_injury_care, in_rehab
import { openSync, writeSync, closeSync, renameSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const COLUMNS = [
  'household_id', 'person_id', 'name', 'id_number', 'birth_date', 'sex', 'relation', 'hukou', 'region',
  'disability_certificate', 'disability_category', 'disability_grade', 'autism', 'monthly_income',
  'employment_income', 'employment_start', 'employed', 'needs_long_term_care', 'special_hardship',
  'orphan', 'work_injury_care', 'in_rehab',
];
// The usual Chinese header of each column (the first alias in src/io/headers.ts).
const CHINESE_HEADERS = {
  household_id: '户编号', person_id: '人员编号', name: '姓名', id_number: '身份证号', birth_date: '出生日期',
  sex: '性别', relation: '与户主关系', hukou: '户籍性质', region: '行政区划代码', disability_certificate: '残疾证号',
  disability_category: '残疾类别', disability_grade: '残疾等级', autism: '孤独症', monthly_income: '月收入',
  employment_income: '就业收入', employment_start: '就业开始日期', employed: '是否就业',
  needs_long_term_care: '需长期照护', special_hardship: '特困供养', orphan: '孤儿', work_injury_care: '工伤护理费',
  in_rehab: '接受康复',
};
export const DEFAULT_REGIONS = ['530100', '140881', '610103', '500105', '370800'];

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
/** ISO 7064 MOD 11-2 check character of 17 digits (exported for the self-check). */
export function idCheckCharacter(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

const CATEGORIES = ['visual', 'hearing', 'speech', 'physical', 'intellectual', 'mental', 'multiple'];
const CATEGORIES_ZH = ['视力残疾', '听力残疾', '言语残疾', '肢体残疾', '智力残疾', '精神残疾', '多重残疾'];
const GRADES_ZH = ['一级', '二级', '三级', '四级'];
// Rough shares among certificate holders (physical is the largest group nationally).
const CATEGORY_CUM = cumulative([0.12, 0.15, 0.03, 0.35, 0.12, 0.15, 0.08]);
const GRADE_CUM = cumulative([0.15, 0.25, 0.3, 0.3]);
// Household sizes 1–6, mean ≈ 3.0 (the perf-notes workload had 1M persons in 329k households).
const SIZE_CUM = cumulative([0.2, 0.22, 0.22, 0.18, 0.11, 0.07]);
const SURNAMES = Array.from('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤');
const GIVEN = Array.from('伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红建国文辉力永健世广志义兴良海山仁波宁贵福生龙元全胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽');
// ID prefixes of first registration other than the household's region (people move).
const OTHER_PREFIXES = ['530102', '530421', '140802', '142701', '610102', '610125', '500112', '500228', '370811', '370826'];

function cumulative(ps) {
  let s = 0;
  return ps.map((p) => (s += p));
}
function pickCum(cum, u) {
  for (let i = 0; i < cum.length; i++) if (u < cum[i]) return i;
  return cum.length - 1;
}

/** sfc32 seeded through splitmix32: fast, repeatable, good enough for synthetic data. */
function makeRng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  return () => next() / 4294967296;
}

function parseArgs(argv) {
  const opts = {
    persons: 1_000_000, seed: 42, out: undefined, regions: DEFAULT_REGIONS, encoding: 'utf8',
    chineseHeaders: false, chineseValues: false, shuffleFraction: 0, blankFraction: 0, asOf: '2025-07-01',
    bom: false, crlf: false, quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--persons': opts.persons = Number(val()); break;
      case '--seed': opts.seed = Number(val()); break;
      case '--out': opts.out = val(); break;
      case '--regions': opts.regions = val().split(',').map((r) => r.trim()).filter(Boolean); break;
      case '--encoding': opts.encoding = val().toLowerCase().replace(/[-_]/g, ''); break;
      case '--chinese-headers': opts.chineseHeaders = true; break;
      case '--chinese-values': opts.chineseValues = true; break;
      case '--shuffle-fraction': opts.shuffleFraction = Number(val()); break;
      case '--blank-fraction': opts.blankFraction = Number(val()); break;
      case '--as-of': opts.asOf = val(); break;
      case '--bom': opts.bom = true; break;
      case '--crlf': opts.crlf = true; break;
      case '--quiet': opts.quiet = true; break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (!Number.isInteger(opts.persons) || opts.persons < 1) throw new Error('--persons must be a positive integer');
  if (!Number.isInteger(opts.seed)) throw new Error('--seed must be an integer');
  if (!opts.out) throw new Error('--out FILE is required');
  if (!opts.regions.length || !opts.regions.every((r) => /^[0-9]{6}$/.test(r))) throw new Error('--regions must be 6-digit codes, comma-separated');
  if (opts.encoding !== 'utf8' && opts.encoding !== 'gb18030') throw new Error('--encoding must be utf8 or gb18030');
  for (const k of ['shuffleFraction', 'blankFraction']) {
    if (!(opts[k] >= 0 && opts[k] < 1)) throw new Error(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be in [0, 1)`);
  }
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(opts.asOf)) throw new Error('--as-of must be YYYY-MM-DD');
  return opts;
}

const SHUFFLE_POOL = 16384;
const FLUSH_CHARS = 1 << 16;

export async function generate(opts) {
  const rand = makeRng(opts.seed);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const EOL = opts.crlf ? '\r\n' : '\n';
  const zh = opts.chineseValues;
  const YES = zh ? '是' : 'Y';
  const NO = zh ? '否' : 'N';
  const yn = (b) => (opts.blankFraction > 0 && rand() < opts.blankFraction ? '' : b ? YES : NO);
  const SEX = zh ? ['女', '男'] : ['F', 'M'];
  const HUKOU = zh ? ['城镇', '农村'] : ['urban', 'rural'];

  // Day table: day index 0 = 1920-01-01, last = the day before --as-of (nobody is born on
  // or after the as-of date, so every age is defined).
  const t0 = Date.UTC(1920, 0, 1);
  const asOfMs = Date.parse(`${opts.asOf}T00:00:00Z`);
  const nDays = Math.round((asOfMs - t0) / 86400000);
  if (!(nDays > 366 * 30)) throw new Error('--as-of must be after 1950');
  const dayIso = new Array(nDays);
  const dayCompactSum = new Int32Array(nDays); // weighted digit sum of YYYYMMDD at ID positions 7–14
  const dayCompact = new Array(nDays);
  for (let i = 0; i < nDays; i++) {
    const iso = new Date(t0 + i * 86400000).toISOString().slice(0, 10);
    dayIso[i] = iso;
    const c = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
    dayCompact[i] = c;
    let s = 0;
    for (let k = 0; k < 8; k++) s += (c.charCodeAt(k) - 48) * WEIGHTS[6 + k];
    dayCompactSum[i] = s;
  }
  const lastDay = nDays - 1;
  const ageDays = (days) => lastDay - days; // day index of someone `days` old on the day before as-of
  const birthDayForAge = (years) => Math.max(0, Math.min(lastDay, ageDays(Math.floor((years + rand()) * 365.25))));
  const ageOf = (day) => Math.floor((lastDay + 1 - day) / 365.25);

  // ID prefixes: the regions, then other places of first registration.
  const prefixes = [...opts.regions, ...OTHER_PREFIXES.filter((p) => !opts.regions.includes(p))];
  const prefixSum = prefixes.map((p) => {
    let s = 0;
    for (let k = 0; k < 6; k++) s += (p.charCodeAt(k) - 48) * WEIGHTS[k];
    return s;
  });
  // Sequence counters per (prefix, birth day, sex): IDs are unique by construction, with
  // memory bounded by prefixes × days × 2, not by --persons. 500 sequences per sex per day.
  const counters = new Uint16Array(prefixes.length * nDays * 2);
  const seqDigits = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
  // Weighted digit sum of the sequence at ID positions 15–17.
  const seqSum = seqDigits.map((d) => (d.charCodeAt(0) - 48) * WEIGHTS[14] + (d.charCodeAt(1) - 48) * WEIGHTS[15] + (d.charCodeAt(2) - 48) * WEIGHTS[16]);

  let selfCheck = 0;
  /** A valid, unique ID number near `day`; returns [id, day] (the day moves if that day is full). */
  function makeId(prefixIdx, day, male) {
    for (let tries = 0; ; tries++) {
      const slot = (prefixIdx * nDays + day) * 2 + (male ? 1 : 0);
      const n = counters[slot];
      const limit = male ? 500 : 499;
      if (n < limit) {
        counters[slot] = n + 1;
        // Spread the sequences over 001–999 (a bijection per day): odd for men, even for women.
        const k = (n * 181 + day * 7 + prefixIdx * 31) % limit;
        const seq = male ? 2 * k + 1 : 2 * k + 2;
        const sd = seqDigits[seq];
        const sum = prefixSum[prefixIdx] + dayCompactSum[day] + seqSum[seq];
        const id = prefixes[prefixIdx] + dayCompact[day] + sd + CHECK_CHARS[sum % 11];
        if ((selfCheck++ & 1023) === 0 && idCheckCharacter(id) !== id[17]) throw new Error(`internal error: check character of ${id}`);
        return [id, day];
      }
      if (tries > nDays) throw new Error('ran out of ID sequence numbers');
      day = day > 0 ? day - 1 : lastDay;
    }
  }

  const money = (yuan) => (Math.round(yuan * 100) / 100).toFixed(2);
  const name = (surname) => surname + pick(GIVEN) + (rand() < 0.7 ? pick(GIVEN) : '');

  const outPath = resolve(opts.out);
  mkdirSync(dirname(outPath), { recursive: true });
  const tmpPath = `${outPath}.tmp`;
  const fd = openSync(tmpPath, 'w');
  let iconv;
  if (opts.encoding === 'gb18030') iconv = (await import('iconv-lite')).default;
  let bytes = 0;
  const writeText = (s) => {
    const buf = iconv ? iconv.encode(s, 'gb18030') : Buffer.from(s, 'utf8');
    writeSync(fd, buf);
    bytes += buf.length;
  };
  let buf = '';
  const emit = (row) => {
    buf += row;
    if (buf.length >= FLUSH_CHARS) {
      writeText(buf);
      buf = '';
    }
  };
  if (opts.bom) {
    if (iconv) throw new Error('--bom is for utf8 output');
    writeSync(fd, Buffer.from([0xef, 0xbb, 0xbf]));
    bytes += 3;
  }
  emit(COLUMNS.map((c) => (opts.chineseHeaders ? CHINESE_HEADERS[c] : c)).join(',') + EOL);

  // --shuffle-fraction: a moved row goes into a bounded pool and comes out at a random later
  // point (outflow matched to inflow), so its household is no longer contiguous.
  const pool = [];
  const shuffle = opts.shuffleFraction;
  const popRate = shuffle > 0 ? shuffle / (1 - shuffle) : 0;
  const popRandom = () => {
    const i = Math.floor(rand() * pool.length);
    const row = pool[i];
    pool[i] = pool[pool.length - 1];
    pool.pop();
    return row;
  };
  const place = (row) => {
    if (shuffle > 0 && rand() < shuffle) {
      if (pool.length >= SHUFFLE_POOL) emit(popRandom());
      pool.push(row);
      return;
    }
    emit(row);
    if (pool.length && rand() < popRate) emit(popRandom());
  };

  const stats = { households: 0, persons: 0, certificates: 0, poor: 0, near: 0, zeroIncome: 0 };
  let personNo = 0;
  let hh = 0;
  const nRegions = opts.regions.length;
  while (personNo < opts.persons) {
    hh++;
    const size = Math.min(1 + pickCum(SIZE_CUM, rand()), opts.persons - personNo);
    const regionIdx = Math.floor(rand() * nRegions);
    const region = opts.regions[regionIdx];
    const rural = rand() < 0.45;
    // Economic level, which sets per-capita income; dibao standards are about 560–880 yuan.
    const lu = rand();
    const level = lu < 0.3 ? 0 : lu < 0.5 ? 1 : 2; // 0 poor, 1 near-poor, 2 other
    if (level === 0) stats.poor++;
    else if (level === 1) stats.near++;
    const perCapita =
      level === 0 ? (rand() < 0.35 ? 0 : 50 + rand() * 600)
      : level === 1 ? 650 + rand() * 700
      : 1300 * Math.exp(rand() * 1.2); // 1300–4300
    const hardshipHousehold = level === 0 && size <= 2 && rand() < 0.15;
    const surname = pick(SURNAMES);

    // Members: relation, birth day, sex.
    const members = [];
    const headAge = size === 1 ? int(20, 90) : int(24, 80);
    const headMale = rand() < 0.62;
    members.push({ relation: '户主', day: birthDayForAge(headAge), male: headMale, surname });
    let spouse = false;
    let parents = 0;
    for (let m = 1; m < size; m++) {
      const u = rand();
      if (!spouse && u < 0.75) {
        spouse = true;
        members.push({ relation: '配偶', day: birthDayForAge(Math.max(20, headAge + int(-5, 5))), male: !headMale, surname: pick(SURNAMES) });
      } else if (parents < 2 && headAge <= 55 && u < 0.9) {
        parents++;
        const male = parents === 1 ? rand() < 0.5 : !members[members.length - 1].male;
        members.push({ relation: '父母', day: birthDayForAge(Math.min(100, headAge + int(20, 35))), male, surname: male ? surname : pick(SURNAMES) });
      } else {
        const maxChild = headAge - 20;
        const childAge = maxChild <= 0 ? 0 : Math.max(0, headAge - int(20, Math.min(40, headAge)));
        members.push({ relation: '子女', day: birthDayForAge(childAge), male: rand() < 0.52, surname });
      }
    }

    // Per person: disability, flags, employment; then income by household level.
    let weightSum = 0;
    for (const p of members) {
      const age = ageOf(p.day);
      p.age = age;
      p.prefixIdx = rand() < 0.9 ? regionIdx : int(0, prefixes.length - 1);
      p.cat = -1;
      if (rand() < 0.35) {
        p.cat = pickCum(CATEGORY_CUM, rand());
        p.grade = 1 + pickCum(GRADE_CUM, rand());
      }
      const disabled = p.cat >= 0;
      const severe = disabled && p.grade <= 2;
      const cogn = p.cat === 4 || p.cat === 5;
      p.autism = (disabled && cogn && age < 30 && rand() < 0.2) || (!disabled && age < 18 && rand() < 0.003);
      p.care = severe ? rand() < 0.6 : disabled && cogn ? rand() < 0.3 : disabled ? rand() < 0.1 : age >= 80 ? rand() < 0.2 : rand() < 0.01;
      p.hardship = hardshipHousehold;
      p.orphan = age < 18 && rand() < 0.005;
      p.injury = disabled && age >= 18 && rand() < 0.01;
      p.rehab = disabled ? (age < 18 ? rand() < 0.4 : rand() < 0.05) : p.autism && rand() < 0.5;
      // Nobody in a household without income is employed.
      p.employed = perCapita > 0 && age >= 16 && age < 65 && rand() < (disabled ? (severe ? 0.1 : 0.3) : 0.7);
      p.weight = p.employed ? 1 + rand() : age >= 60 && rand() < 0.7 ? 0.15 + rand() * 0.3 : 0;
      weightSum += p.weight;
    }
    if (weightSum === 0) {
      members[0].weight = 1;
      weightSum = 1;
    }
    const total = perCapita * size;
    if (total === 0) stats.zeroIncome++;

    for (const p of members) {
      personNo++;
      const [id, day] = makeId(p.prefixIdx, p.day, p.male);
      const income = p.weight > 0 ? (total * p.weight) / weightSum : 0;
      let empIncome = '';
      let empStart = '';
      if (p.employed) {
        empIncome = money(income * (0.6 + rand() * 0.4));
        if (rand() < 0.6) {
          // A quarter started in the last 3 years (the window of employment-income disregards).
          const back = rand() < 0.25 ? int(1, 3 * 365) : int(3 * 365, 15 * 365);
          empStart = dayIso[Math.max(p.day + 16 * 365, lastDay - back)] ?? dayIso[lastDay];
        }
      }
      let cert = '', cat = '', grade = '';
      if (p.cat >= 0) {
        cert = id + (p.cat + 1) + p.grade;
        cat = zh ? CATEGORIES_ZH[p.cat] : CATEGORIES[p.cat];
        grade = zh ? GRADES_ZH[p.grade - 1] : String(p.grade);
        stats.certificates++;
      }
      const row =
        `H${hh},P${personNo},${name(p.surname)},${id},${dayIso[day]},${SEX[p.male ? 1 : 0]},${p.relation},` +
        `${HUKOU[rural ? 1 : 0]},${region},${cert},${cat},${grade},${yn(p.autism)},${money(income)},${empIncome},${empStart},` +
        `${yn(p.employed)},${yn(p.care)},${yn(p.hardship)},${yn(p.orphan)},${yn(p.injury)},${yn(p.rehab)}${EOL}`;
      place(row);
    }
  }
  while (pool.length) emit(popRandom());
  if (buf) writeText(buf);
  closeSync(fd);
  renameSync(tmpPath, outPath);
  stats.households = hh;
  stats.persons = personNo;
  stats.bytes = bytes;
  return stats;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`gen-roster: ${e.message}`);
    process.exit(2);
  }
  const t = process.hrtime.bigint();
  const s = await generate(opts);
  const sec = Number(process.hrtime.bigint() - t) / 1e9;
  if (!opts.quiet) {
    console.error(
      `gen-roster: ${s.persons.toLocaleString('en')} persons in ${s.households.toLocaleString('en')} households → ${opts.out} ` +
        `(${(s.bytes / 2 ** 20).toFixed(1)} MiB, ${sec.toFixed(2)} s, ${Math.round(s.persons / sec).toLocaleString('en')} persons/s; ` +
        `households poor/near-poor/other ${pct(s.poor, s.households)}/${pct(s.near, s.households)}/${pct(s.households - s.poor - s.near, s.households)}, ` +
        `certificates ${pct(s.certificates, s.persons)} of persons)`,
    );
  }
}
function pct(a, b) {
  return `${((100 * a) / b).toFixed(0)}%`;
}

// The explorer's in-browser chain check. The page (api/templates/explorer/_chain_check.html)
// carries what it shows as JSON (#chain-check-facts); this script asks a JSON-RPC node for the
// same facts and tells the visitor, in #chain-check, whether they agree. The registry's server
// is not asked anything: only the page's facts and the chain count.
//
// Bundled by scripts/build-web into api/static/explorer/chain_check.js.

import {
  createPublicClient,
  decodeEventLog,
  http,
  BaseError,
  ContractFunctionRevertedError,
  TransactionReceiptNotFoundError,
} from "viem";
import creditsAbi from "./credits_abi.json";

const RPC_KEY = "tanhui.chainCheck.rpcUrl";
const CONTRACT_KEY = "tanhui.chainCheck.contract";
const TIMEOUT_MS = 10_000;

const MESSAGES = {
  zh: {
    pending: "正在向链查询…",
    verified: (chain, block) => `已对照链 ${chain} 的区块 ${block} 验证`,
    mismatch: (chain, block) => `与链 ${chain} 的区块 ${block} 不符：`,
    error: "无法完成链上核验：",
    onPage: "页面",
    onChain: "链上",
    via: (url, contract) => `节点 ${url}，合约 ${contract}`,
    noCertificate: (id) => `链上没有证书 ${id}`,
    noBatch: (id) => `链上没有批次 ${id}`,
    noTransaction: "链上没有这笔交易",
    notInTransaction: "这笔交易没有相应的链上事件",
    badInput: "页面数据不完整",
  },
  en: {
    pending: "Asking the chain…",
    verified: (chain, block) => `verified against block ${block} of chain ${chain}`,
    mismatch: (chain, block) => `differs from block ${block} of chain ${chain}:`,
    error: "the chain check could not be completed: ",
    onPage: "page",
    onChain: "chain",
    via: (url, contract) => `node ${url}, contract ${contract}`,
    noCertificate: (id) => `the chain has no certificate ${id}`,
    noBatch: (id) => `the chain has no batch ${id}`,
    noTransaction: "the chain has no such transaction",
    notInTransaction: "the transaction does not carry the matching event",
    badInput: "the page's facts are incomplete",
  },
};

// JSON numbers can exceed 2^53 (serials, amounts): keep their source text where the browser
// gives it (JSON.parse source text access), so they compare exactly as BigInt.
function parseFacts(text) {
  return JSON.parse(text, (key, value, context) =>
    typeof value === "number" && context && typeof context.source === "string" ? context.source : value,
  );
}

const asUint = (v) => (v === null || v === undefined || v === "" ? 0n : BigInt(String(v)));
const asHex = (v) => String(v ?? "").toLowerCase();

// How each fact compares with the chain's value, by kind of value.
const KINDS = {
  uint: { same: (a, b) => asUint(a) === asUint(b), show: (v) => asUint(v).toString() },
  hex: { same: (a, b) => asHex(a) === asHex(b), show: (v) => String(v ?? "") },
  text: { same: (a, b) => String(a ?? "") === String(b ?? ""), show: (v) => JSON.stringify(String(v ?? "")) },
};

class Differences {
  constructor() {
    this.list = [];
  }
  // Records a difference unless the fact is absent from the page (nothing shown, nothing claimed)
  // or the field already has one.
  compare(facts, field, chainValue, kind) {
    if (!(field in facts) || this.list.some((d) => d.field === field)) return;
    const k = KINDS[kind];
    let same;
    try {
      same = k.same(facts[field], chainValue);
    } catch {
      same = false; // a page value that is not a number where one is due
    }
    if (!same) this.list.push({ field, page: k.show(facts[field]), chain: k.show(chainValue) });
  }
  note(field, page, chain) {
    if (!this.list.some((d) => d.field === field)) this.list.push({ field, page, chain });
  }
}

// A contract call that reverted (the chain does not know the id) rather than a node failing.
function reverted(err) {
  return err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError) !== null;
}

async function receiptOrNull(client, hash) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(String(hash))) return null;
  try {
    return await client.getTransactionReceipt({ hash });
  } catch (err) {
    if (err instanceof BaseError && err.walk((e) => e instanceof TransactionReceiptNotFoundError)) return null;
    throw err;
  }
}

// The first log of `receipt`, emitted by `address`, that decodes as `eventName` and satisfies `match`.
function findEvent(receipt, address, eventName, match) {
  for (const log of receipt.logs) {
    if (asHex(log.address) !== asHex(address)) continue;
    try {
      const decoded = decodeEventLog({ abi: creditsAbi, data: log.data, topics: log.topics });
      if (decoded.eventName === eventName && match(decoded.args)) return decoded.args;
    } catch {
      // another event of the contract
    }
  }
  return null;
}

async function checkTransaction(client, facts, diffs, t, address, eventName, match, blockNumber) {
  if (!("tx_hash" in facts)) return null;
  const receipt = await receiptOrNull(client, facts.tx_hash);
  if (receipt === null) {
    diffs.note("tx_hash", String(facts.tx_hash), t.noTransaction);
    return null;
  }
  if (blockNumber !== undefined && receipt.blockNumber !== BigInt(blockNumber)) {
    diffs.note("tx_hash", String(facts.tx_hash), `block ${receipt.blockNumber}`);
  }
  const args = receipt.status === "success" ? findEvent(receipt, address, eventName, match) : null;
  if (args === null) diffs.note("tx_hash", String(facts.tx_hash), t.notInTransaction);
  return { receipt, args };
}

const CHECKS = {
  async certificate(client, address, id, facts, diffs, t, blockNumber) {
    let r;
    try {
      r = await client.readContract({
        address,
        abi: creditsAbi,
        functionName: "retirement",
        args: [BigInt(id)],
        blockNumber,
      });
    } catch (err) {
      if (!reverted(err)) throw err;
      diffs.note("certificate_id", String(id), t.noCertificate(id));
      return;
    }
    diffs.compare(facts, "certificate_id", id, "uint");
    diffs.compare(facts, "holder", r.holder, "hex");
    diffs.compare(facts, "batch_id", r.batchId, "uint");
    diffs.compare(facts, "serial_first", r.serialFirst, "uint");
    diffs.compare(facts, "serial_last", r.serialLast, "uint");
    diffs.compare(facts, "purpose", r.purpose, "uint");
    diffs.compare(facts, "retired_at", r.retiredAt, "uint");
    diffs.compare(facts, "block_number", r.blockNumber, "uint");
    const tx = await checkTransaction(
      client, facts, diffs, t, address, "CreditsRetired", (a) => a.certificateId === BigInt(id), r.blockNumber,
    );
    if (tx && tx.args) {
      // What the record does not keep, the event does: the amount and the beneficiary.
      diffs.compare(facts, "amount_kg", tx.args.amount, "uint");
      diffs.compare(facts, "beneficiary", tx.args.details.beneficiary, "text");
      diffs.compare(facts, "holder", tx.args.holder, "hex");
      diffs.compare(facts, "batch_id", tx.args.batchId, "uint");
      diffs.compare(facts, "purpose", tx.args.details.purpose, "uint");
      diffs.compare(facts, "event_id", tx.args.details.eventId, "hex");
      diffs.compare(facts, "jurisdiction", tx.args.details.jurisdiction, "text");
      diffs.compare(facts, "consumption_start", tx.args.details.consumptionStart, "uint");
      diffs.compare(facts, "consumption_end", tx.args.details.consumptionEnd, "uint");
      diffs.compare(facts, "note", tx.args.details.note, "text");
    }
    diffs.compare(facts, "amount_kg", r.serialLast - r.serialFirst + 1n, "uint");
  },

  async batch(client, address, id, facts, diffs, t, blockNumber) {
    let b;
    try {
      b = await client.readContract({ address, abi: creditsAbi, functionName: "batch", args: [BigInt(id)], blockNumber });
    } catch (err) {
      if (!reverted(err)) throw err;
      diffs.note("batch_id", String(id), t.noBatch(id));
      return;
    }
    diffs.compare(facts, "batch_id", id, "uint");
    diffs.compare(facts, "project_id", b.projectId, "hex");
    diffs.compare(facts, "report_hash", b.reportHash, "hex");
    diffs.compare(facts, "methodology_id", b.methodologyId, "hex");
    diffs.compare(facts, "methodology_version", b.methodologyVersion, "uint");
    diffs.compare(facts, "verifier", b.verifier, "hex");
    diffs.compare(facts, "invalidated_kg", b.invalidated, "uint");
    diffs.compare(facts, "issued_kg", b.issued, "uint");
    diffs.compare(facts, "retired_kg", b.retired, "uint");
    diffs.compare(facts, "period_start", b.periodStart, "uint");
    diffs.compare(facts, "period_end", b.periodEnd, "uint");
    const tx = await checkTransaction(
      client, facts, diffs, t, address, "CreditsIssued", (a) => a.batchId === BigInt(id), facts.block_number,
    );
    if (tx) diffs.compare(facts, "block_number", tx.receipt.blockNumber, "uint");
  },

  async claim(client, address, id, facts, diffs, t, blockNumber) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(String(facts.event_id))) throw new Error(t.badInput);
    const a = await client.readContract({
      address,
      abi: creditsAbi,
      functionName: "eventAccount",
      args: [facts.event_id],
      blockNumber,
    });
    diffs.compare(facts, "retired_kg", a.retiredKg, "uint");
    diffs.compare(facts, "footprint_kg", a.footprintKg, "uint");
    diffs.compare(facts, "required_kg", a.requiredKg, "uint");
    diffs.compare(facts, "closed_at", a.closedAt, "uint");
  },
};

function render(box, state, sentence, diffs, detail, t) {
  box.dataset.state = state;
  const result = box.querySelector("[data-chain-check-result]") ?? box;
  result.replaceChildren();
  const p = document.createElement("p");
  p.className = "chain-check-sentence";
  p.textContent = sentence;
  result.append(p);
  if (diffs.length) {
    const ul = document.createElement("ul");
    ul.className = "chain-check-differences";
    for (const d of diffs) {
      const li = document.createElement("li");
      li.dataset.field = d.field;
      li.textContent = `${d.field}: ${t.onPage} ${d.page} ≠ ${t.onChain} ${d.chain}`;
      ul.append(li);
    }
    result.append(ul);
  }
  if (detail) {
    const small = document.createElement("p");
    small.className = "chain-check-detail";
    small.textContent = detail;
    result.append(small);
  }
}

let run = 0;

async function check(box, spec) {
  const mine = ++run;
  const t = MESSAGES[box.dataset.lang === "en" ? "en" : "zh"];
  const rpcUrl = localStorage.getItem(RPC_KEY) || spec.rpc_url;
  const address = localStorage.getItem(CONTRACT_KEY) || spec.contracts?.TanhuiCredits;
  const detail = t.via(rpcUrl, address);
  render(box, "pending", t.pending, [], detail, t);
  try {
    const checkKind = CHECKS[spec.kind];
    if (!checkKind || !address || !rpcUrl) throw new Error(t.badInput);
    const client = createPublicClient({ transport: http(rpcUrl, { timeout: TIMEOUT_MS, retryCount: 0 }) });
    const chainId = await client.getChainId();
    const blockNumber = await client.getBlockNumber();
    const diffs = new Differences();
    diffs.compare({ chain_id: spec.chain_id }, "chain_id", chainId, "uint");
    if (!diffs.list.length) await checkKind(client, address, spec.id, spec.facts ?? {}, diffs, t, blockNumber);
    if (mine !== run) return;
    if (diffs.list.length) {
      render(box, "mismatch", t.mismatch(chainId, blockNumber), diffs.list, detail, t);
    } else {
      render(box, "verified", t.verified(chainId, blockNumber), [], detail, t);
    }
  } catch (err) {
    if (mine !== run) return;
    const message = err instanceof BaseError ? err.shortMessage : String(err?.message ?? err);
    render(box, "error", t.error + message, [], detail, t);
  }
}

function start() {
  const box = document.getElementById("chain-check");
  const source = document.getElementById("chain-check-facts");
  if (!box || !source) return;
  let spec;
  try {
    spec = parseFacts(source.textContent);
  } catch (err) {
    box.dataset.state = "error";
    box.textContent = String(err);
    return;
  }
  const rpcInput = document.getElementById("chain-check-rpc");
  const contractInput = document.getElementById("chain-check-contract");
  const again = document.getElementById("chain-check-again");
  if (rpcInput) rpcInput.value = localStorage.getItem(RPC_KEY) || spec.rpc_url || "";
  if (contractInput) contractInput.value = localStorage.getItem(CONTRACT_KEY) || spec.contracts?.TanhuiCredits || "";
  // A value other than the page's own default is remembered for the next pages; the default
  // (or an empty field) forgets it.
  const remember = (input, key, fallback) => {
    if (!input) return;
    const value = input.value.trim();
    if (value && value !== fallback) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  };
  const form = again?.form;
  const rerun = (event) => {
    event?.preventDefault();
    remember(rpcInput, RPC_KEY, spec.rpc_url);
    remember(contractInput, CONTRACT_KEY, spec.contracts?.TanhuiCredits);
    check(box, spec);
  };
  if (form) form.addEventListener("submit", rerun);
  else again?.addEventListener("click", rerun);
  document.querySelectorAll("[data-chain-check-js]").forEach((el) => (el.hidden = false));
  document.querySelectorAll("[data-chain-check-nojs]").forEach((el) => (el.hidden = true));
  check(box, spec);
}

start();

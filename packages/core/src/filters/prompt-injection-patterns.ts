/**
 * Heuristics for prompt-injection attempts, in English and Chinese. They catch the common
 * phrasings ("ignore all previous instructions", "忽略之前的所有指令", role overrides, requests
 * to reveal the system prompt); they are a tripwire, not a guarantee.
 */
export const promptInjectionPatterns: readonly RegExp[] = [
  /\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|all|any|your|the)\b[^.\n]{0,30}?\b(?:instructions?|prompts?|rules|directions|guidelines|context)\b/gi,
  /\b(?:reveal|show|print|repeat|output|leak|tell me)\b[^.\n]{0,30}?\b(?:system|hidden|initial|original)\s+(?:prompt|instructions?|message)\b/gi,
  /\byou are now\b[^.\n]{0,40}?\b(?:DAN|jailbroken|unfiltered|unrestricted|developer mode|no longer bound)\b/gi,
  /\b(?:enable|enter|activate)\s+(?:developer|god|jailbreak|DAN)\s+mode\b/gi,
  /\bdo anything now\b/gi,
  /(?:忽略|无视|忽视|忘记|不要理会|跳过)[^。\n]{0,12}?(?:之前|以前|先前|上面|上述|前面|所有|全部|系统)[^。\n]{0,12}?(?:指令|指示|提示|说明|规则|要求|设定)/g,
  /(?:泄露|显示|输出|告诉我|打印|重复)[^。\n]{0,12}?(?:系统提示|系统指令|系统消息|初始指令|隐藏指令)/g,
  /(?:你现在是|从现在开始你是|扮演)[^。\n]{0,16}?(?:不受限制|没有限制|越狱|DAN|开发者模式)/g,
  /(?:进入|开启|启用)(?:开发者|越狱|上帝)模式/g,
];

/**
 * The words one of the patterns above must begin with, in one expression: a text it does not
 * match cannot match any pattern, so the detector runs one scan instead of nine on most texts.
 * Each pattern's leading words must be here (a test checks it).
 */
export const promptInjectionTriggers =
  /ignore|disregard|forget|override|bypass|reveal|show|print|repeat|output|leak|tell me|you are now|enable|enter|activate|do anything now|忽略|无视|忽视|忘记|不要理会|跳过|泄露|显示|输出|告诉我|打印|重复|你现在是|从现在开始你是|扮演|进入|开启|启用/i;

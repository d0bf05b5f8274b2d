// How many SMS segments a body costs: a port of messaging/segments.py, which has the full
// story. Keep the two in step; a browser test compares them on the same bodies.
//
// GSM-7 fits 160 characters in one SMS and 153 per segment once split. One character
// outside GSM-7 (an emoji, a smart quote) switches the whole message to UCS-2: 70 UTF-16
// units, 67 per segment.

const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
// These cost two septets: an escape character and the character itself.
const GSM7_EXTENSION = new Set("^{}\\[~]|€\f");

const LIMITS = {
  "GSM-7": { single: 160, perPart: 153 },
  "UCS-2": { single: 70, perPart: 67 },
};

export function countSegments(body) {
  let septets = 0;
  let isGsm7 = true;
  // for...of walks code points, as Python iterates a str.
  for (const char of body) {
    if (GSM7_EXTENSION.has(char)) {
      septets += 2;
    } else if (GSM7_BASIC.has(char)) {
      septets += 1;
    } else {
      isGsm7 = false;
      break;
    }
  }
  const encoding = isGsm7 ? "GSM-7" : "UCS-2";
  // A JavaScript string's length is already counted in UTF-16 units.
  const units = isGsm7 ? septets : body.length;
  const { single, perPart } = LIMITS[encoding];
  const segments = units <= single ? 1 : Math.ceil(units / perPart);
  const capacity = segments === 1 ? single : segments * perPart;
  return { encoding, units, segments, capacity };
}

// The server limits bodies in characters as Python counts them: code points.
export function characterCount(body) {
  return [...body].length;
}

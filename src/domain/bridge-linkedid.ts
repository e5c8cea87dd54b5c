// Which bridges change the linkedid of the channels pushed into them (Asterisk's bridge_channel_update_linkedids
// runs in the push of the basic and the Stasis bridge classes only).

/**
 * Whether pushing a channel into the bridge updates linkedids: Asterisk does it in the basic bridge (Dial, Queue,
 * features) and in ARI's bridges that mix, not in ConfBridge's (`base`), parking or any holding bridge, which
 * gather unrelated calls. A bridge whose class the source did not give counts by its type.
 */
export function changesLinkedIds(bridgeClass: string, bridgeType: string): boolean {
  switch (bridgeClass) {
    case 'basic':
      return true;
    case 'stasis':
      return bridgeType === 'mixing';
    case '':
      return bridgeType !== 'holding';
    default:
      return false;
  }
}

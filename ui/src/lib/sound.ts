// The sounds a station makes: one short high beep when all is well, two
// long low ones when something needs a look, so a volunteer hears the
// difference without looking up. No sound device: the screen says it.
let audio: AudioContext | null = null;

export function sound(kind: "ok" | "alarm"): void {
  try {
    audio ??= new AudioContext();
    const alarm = kind === "alarm";
    for (const at of alarm ? [0, 0.22] : [0]) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = alarm ? 330 : 880;
      gain.gain.value = alarm ? 0.25 : 0.1;
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + at);
      tone.stop(audio.currentTime + at + (alarm ? 0.16 : 0.07));
    }
  } catch {
    // No sound device.
  }
}

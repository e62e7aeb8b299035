// Push-to-talk with the wearer of the camera being watched. The microphone is encoded to Opus in the
// browser (WebCodecs AudioEncoder, 20 ms packets) and each packet is one binary message on
// /live/{cameraId}/talk, opened with the grant's stream token; the wearer's answers come back as
// packets tagged 0 and are decoded (AudioDecoder) and played. Where WebCodecs' Opus encoder is missing
// (Firefox before 130, Safari), the console says so and the viewer uses text instructions instead: the
// server relays packets and does not transcode, so there is no second audio path to fall back to.
export const supported = () => "AudioEncoder" in window && "MediaStreamTrackProcessor" in window && "AudioDecoder" in window;

/**
 * Opens the talk for a camera: the socket at once, the microphone on the first press. Returns
 * { press(), release(), close(), heard } where heard counts the wearer's packets played.
 */
export function openTalk(cameraId, streamToken, onStatus) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/live/${encodeURIComponent(cameraId)}/talk`, ["bodycam.talk", `bodycam.token.${streamToken}`]);
  socket.binaryType = "arraybuffer";
  const state = { heard: 0, sent: 0, speaking: false, closed: false };
  let microphone = null; // { stream, encoder, reader }
  let output = null; // { context, decoder, next }

  socket.onmessage = (message) => {
    if (typeof message.data === "string") {
      const m = JSON.parse(message.data);
      if (m.type === "joined") onStatus(m.camera === "connected" ? "Talk open: the camera is listening." : "Talk open: waiting for the camera to join.");
      else if (m.type === "camera-connected") onStatus("Talk open: the camera is listening.");
      else if (m.type === "camera-absent") onStatus("Talk open: the camera left the talk.");
      return;
    }
    const bytes = new Uint8Array(message.data);
    if (bytes[0] !== 0) return; // only the camera speaks to viewers
    play(bytes.subarray(1));
  };
  socket.onclose = (event) => {
    state.closed = true;
    stopMicrophone();
    onStatus(event.reason ? `Talk ended: ${event.reason}` : "Talk ended.");
  };

  function play(packet) {
    if (!output) {
      const context = new AudioContext({ sampleRate: 48000 });
      const decoder = new AudioDecoder({
        output: (data) => {
          const samples = new Float32Array(data.numberOfFrames);
          data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
          const buffer = context.createBuffer(1, samples.length, data.sampleRate);
          buffer.copyToChannel(samples, 0);
          const source = context.createBufferSource();
          source.buffer = buffer;
          source.connect(context.destination);
          output.next = Math.max(output.next, context.currentTime + 0.02);
          source.start(output.next);
          output.next += buffer.duration;
          data.close();
          state.heard++;
          onStatus(`Talk open: hearing the wearer (${state.heard} packets).`);
        },
        error: (e) => onStatus(`The wearer's audio could not be played: ${e.message}`),
      });
      decoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: 1 });
      output = { context, decoder, next: 0 };
    }
    output.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: 0, data: packet }));
  }

  async function startMicrophone() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    const track = stream.getAudioTracks()[0];
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    let encoder = null;
    microphone = { stream, reader, encoder: null };
    (async () => {
      for (;;) {
        const { value: data, done } = await reader.read();
        if (done) return;
        if (!encoder) {
          // The encoder takes the microphone's own rate and channels; Opus makes 48 kHz packets of them.
          encoder = new AudioEncoder({
            output: (chunk) => {
              const packet = new Uint8Array(chunk.byteLength);
              chunk.copyTo(packet);
              if (socket.readyState === WebSocket.OPEN) {
                socket.send(packet);
                state.sent++;
              }
            },
            error: (e) => onStatus(`The microphone could not be encoded: ${e.message}`),
          });
          encoder.configure({ codec: "opus", sampleRate: data.sampleRate, numberOfChannels: data.numberOfChannels, bitrate: 24000, opus: { frameDuration: 20000 } });
          microphone.encoder = encoder;
        }
        if (state.speaking) encoder.encode(data);
        data.close();
      }
    })().catch((e) => onStatus(`The microphone stopped: ${e.message}`));
  }

  function stopMicrophone() {
    if (!microphone) return;
    microphone.reader.cancel().catch(() => {});
    for (const track of microphone.stream.getTracks()) track.stop();
    if (microphone.encoder?.state === "configured") microphone.encoder.close();
    microphone = null;
  }

  return {
    state,
    async press() {
      if (state.closed) return;
      state.speaking = true;
      if (!microphone) await startMicrophone().catch((e) => { state.speaking = false; onStatus(`No microphone: ${e.message}`); });
      if (state.speaking) onStatus("Talking…");
    },
    release() {
      if (!state.speaking) return;
      state.speaking = false;
      microphone?.encoder?.flush().catch(() => {});
      onStatus(`Talk open: ${state.sent} packets sent.`);
    },
    close() {
      state.speaking = false;
      stopMicrophone();
      if (socket.readyState <= WebSocket.OPEN) socket.close(1000);
      output?.context.close().catch(() => {});
    },
  };
}

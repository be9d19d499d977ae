// The web page of `facenet serve`: every action is one call of the CompreFace REST API v1.
"use strict";

const $ = (id) => document.getElementById(id);
const key = () => $("key").value.trim();

function show(message, isError) {
  $("status").textContent = message;
  $("status").className = isError ? "error" : "";
}

async function call(method, path, body, apiKey) {
  const response = await fetch(path, { method, headers: { "x-api-key": apiKey || key() }, body });
  const text = await response.text();
  let value;
  try { value = JSON.parse(text); } catch (_) { value = text; }
  if (!response.ok) throw new Error((value && value.message) || response.statusText);
  return value;
}

function form(fields) {
  const data = new FormData();
  for (const [name, file] of Object.entries(fields)) {
    if (!file) throw new Error("choose a photo for " + name);
    data.append(name, file);
  }
  return data;
}

async function refreshSubjects() {
  const { subjects } = await call("GET", "/api/v1/recognition/subjects");
  const list = $("subjects");
  list.replaceChildren();
  for (const subject of subjects) {
    const item = document.createElement("li");
    item.dataset.subject = subject;
    item.append(subject + " ");
    const page = await call("GET", "/api/v1/recognition/faces?size=100&subject=" + encodeURIComponent(subject));
    for (const face of page.faces) {
      const img = document.createElement("img");
      img.src = "/api/v1/static/" + encodeURIComponent(key()) + "/images/" + face.image_id;
      img.alt = subject;
      const remove = document.createElement("button");
      remove.textContent = "delete";
      remove.className = "delete-example";
      remove.onclick = () => run(async () => {
        await call("DELETE", "/api/v1/recognition/faces/" + face.image_id);
        await refreshSubjects();
        show("deleted an example of " + subject);
      });
      item.append(img, remove);
    }
    list.append(item);
  }
}

async function addExample() {
  const subject = $("add-subject").value.trim();
  if (!subject) throw new Error("enter a subject");
  const added = await call("POST", "/api/v1/recognition/faces?subject=" + encodeURIComponent(subject),
    form({ file: $("add-file").files[0] }));
  await refreshSubjects();
  show("added " + added.image_id + " to " + added.subject);
}

async function recognize() {
  const file = $("recognize-file").files[0];
  const answer = await call("POST", "/api/v1/recognition/recognize", form({ file }));
  const image = await createImageBitmap(file);
  const canvas = $("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  ctx.lineWidth = Math.max(2, image.width / 300);
  ctx.font = Math.max(14, image.width / 40) + "px sans-serif";
  const names = $("names");
  names.replaceChildren();
  for (const face of answer.result) {
    const best = face.subjects[0];
    const known = best && best.similarity >= 0.5;
    const label = known ? best.subject + " " + best.similarity.toFixed(2) : "unknown";
    const b = face.box;
    ctx.strokeStyle = known ? "lime" : "red";
    ctx.fillStyle = ctx.strokeStyle;
    ctx.strokeRect(b.x_min, b.y_min, b.x_max - b.x_min, b.y_max - b.y_min);
    ctx.fillText(label, b.x_min, Math.max(16, b.y_min - 6));
    const item = document.createElement("li");
    item.className = "name";
    item.textContent = label;
    names.append(item);
  }
  show(answer.result.length + " face(s) recognised");
}

async function compare() {
  const answer = await call("POST", "/api/v1/verification/verify",
    form({ source_image: $("source-file").files[0], target_image: $("target-file").files[0] }),
    $("verification-key").value.trim());
  const best = answer.result[0].face_matches[0];
  $("similarity").textContent = "similarity " + best.similarity.toFixed(3) +
    (best.similarity >= 0.5 ? " (same person)" : " (different people)");
}

async function run(action) {
  try { await action(); } catch (error) { show(error.message, true); }
}

$("add").onclick = () => run(addExample);
$("refresh").onclick = () => run(refreshSubjects);
$("recognize").onclick = () => run(recognize);
$("compare").onclick = () => run(compare);

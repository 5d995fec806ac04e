// kneadback tip cap: holds an Interlink FSR 402 on the round tip of a massage tool, with a
// rigid load spreader ("puck") that carries the force onto the sensor's active area only.
//
// Stack, from the tool outwards:  tool tip | cap (socket + flat backing plate) | FSR 402 in
// its pocket | retainer ring (holds the sensor captive, never presses it) | puck | rubber skin.
// The puck stands proud of the ring, so all force on the tip goes through the puck.
//
// Render one part for printing, e.g. a 28 mm ball tip:
//   openscad -D tip_d=28 -D 'tip_shape="ball"' -D 'part="cap"' -o cap.stl fsr402_cap.scad
// Parts: "assembly" (preview, exploded), "cap", "ring", "puck", "print" (all three laid out),
// "none" (only the modules, to `include` this file from another design).
// Units: millimetres. Print in PETG or PLA, 100 % infill for the puck, 0.2 mm layers.

/* [Tool tip] */
tip_d = 25;              // diameter of the round tip the cap slips over
tip_shape = "ball";      // "ball" (TheraCane-style knob, massage ball) or "cylinder" (stick end)
socket_depth = 12;       // how far the cap reaches over the tip
clearance = 0.3;         // per side; make it 0 for a press fit on a soft rubber tip

/* [Sensor: Interlink FSR 402] */
fsr_d = 18.28;           // overall disc diameter (data sheet)
fsr_active_d = 12.7;     // active area; later data-sheet revisions give 14.7
fsr_t = 0.45;            // sensor thickness
tail_w = 7.6;            // width of the tail where it leaves the disc
fsr_clear = 0.3;         // pocket clearance around the disc

/* [Load spreader] */
puck_d = 12;             // below the active diameter: force lands on the active area only
puck_t = 3.5;
puck_proud = 1.0;        // how far the puck stands above the ring
dome_h = 0.8;            // gentle dome on the puck's face

/* [Cap] */
wall = 2.4;
plate_t = 3;             // rigid backing plate under the sensor (FSRs need a flat, hard back)
ring_t = puck_t - puck_proud;
tail_bend_r = 3;         // the tail turns down the side over this radius (Interlink: >= 2.5 mm)
$fn = 96;

part = "assembly";

assert(tip_d >= 8 && tip_d <= 100, "tip_d must be 8..100 mm");
assert(tip_shape == "ball" || tip_shape == "cylinder", "tip_shape must be \"ball\" or \"cylinder\"");
assert(socket_depth >= 4, "socket_depth must be at least 4 mm");
assert(puck_d < fsr_active_d, "puck_d must be smaller than the active area, or force is lost on the border");
assert(puck_d >= 6, "puck_d below 6 mm concentrates the load on a small part of the active area");
assert(ring_t > fsr_t, "the puck must be thicker than puck_proud + the sensor");

outer_d = max(tip_d + 2 * (clearance + wall), fsr_d + 2 * (fsr_clear + wall) + 2);
pocket_d = fsr_d + 2 * fsr_clear;
cap_h = socket_depth + plate_t;

module socket() {
    r = tip_d / 2 + clearance;
    if (tip_shape == "cylinder") {
        translate([0, 0, -1]) cylinder(r = r, h = socket_depth + 1);
    } else {
        // a ball: spherical seat whose top touches the backing plate; straight below the equator
        c = socket_depth - r;
        translate([0, 0, c]) sphere(r = r);
        translate([0, 0, -1]) cylinder(r = r, h = max(c, 0) + 1);
    }
}

module tail_channel(depth) {
    // from the pocket to the rim, then down the outside wall
    translate([0, -tail_w / 2 - 0.3, 0]) cube([outer_d, tail_w + 0.6, depth]);
}

module cap() {
    difference() {
        cylinder(d = outer_d, h = cap_h);
        socket();
        translate([0, 0, cap_h - fsr_t - 0.05]) cylinder(d = pocket_d, h = 1);
        translate([0, 0, cap_h - fsr_t - 0.05]) tail_channel(1);
        // groove down the side for the tail, with a rounded edge so it is never creased
        translate([outer_d / 2 - 1.0, -tail_w / 2 - 0.3, -1]) cube([2, tail_w + 0.6, cap_h + 2]);
        translate([outer_d / 2 - tail_bend_r - 1.0, 0, cap_h])
            difference() {
                translate([0, -tail_w / 2 - 0.3, -tail_bend_r]) cube([tail_bend_r + 2, tail_w + 0.6, tail_bend_r + 1]);
                translate([0, -tail_w, -tail_bend_r]) rotate([-90, 0, 0]) cylinder(r = tail_bend_r, h = 2 * tail_w);
            }
    }
}

module ring() {
    // keeps the FSR and its tail captive in the pocket; a relief keeps it off the active area
    difference() {
        cylinder(d = outer_d, h = ring_t);
        translate([0, 0, -1]) cylinder(d = puck_d + 0.8, h = ring_t + 2);
        translate([0, 0, -1]) cylinder(d = fsr_active_d + 1.6, h = 1 + 0.3);
        translate([0, 0, -0.01]) tail_channel(0.35);
    }
}

module puck() {
    cylinder(d = puck_d, h = puck_t - dome_h);
    // a low spherical cap as the dome
    dome_r = (pow(puck_d / 2, 2) + pow(dome_h, 2)) / (2 * dome_h);
    translate([0, 0, puck_t - dome_h])
        intersection() {
            translate([0, 0, dome_h - dome_r]) sphere(r = dome_r);
            cylinder(d = puck_d, h = dome_h);
        }
}

module fsr_dummy() {
    color("gold") cylinder(d = fsr_d, h = fsr_t);
    color("gold") translate([0, -tail_w / 2, 0]) cube([outer_d / 2 + 2, tail_w, fsr_t]);
}

if (part == "cap") {
    cap();
} else if (part == "ring") {
    ring();
} else if (part == "puck") {
    puck();
} else if (part == "print") {
    cap();
    translate([outer_d + 5, 0, 0]) ring();
    translate([0, outer_d / 2 + puck_d / 2 + 5, 0]) puck();
} else if (part == "assembly") {
    explode = 6;
    color("lightgray") cap();
    translate([0, 0, cap_h - fsr_t + explode * 0.5]) fsr_dummy();
    color("steelblue") translate([0, 0, cap_h + explode]) ring();
    color("orange") translate([0, 0, cap_h + 2 * explode]) puck();
} else {
    assert(part == "none", "part must be \"assembly\", \"cap\", \"ring\", \"puck\", \"print\" or \"none\"");
}

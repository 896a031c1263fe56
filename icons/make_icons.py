"""Draw the Sonic POS app icon and write every size tauri.conf.json names.

The icon is drawn from shapes (no font, no external artwork): a rounded square
in deep teal, a white till receipt with a zig-zag tear, and an amber bolt for
"sonic" speed. Run from the repository root after `pip install pillow`:

    python3 icons/make_icons.py

The PNG/ICO/ICNS files it writes are committed, so building the app does not
need Python.
"""

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
S = 1024  # master size; every output is a downscale of it


def lerp(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def master() -> Image.Image:
    top, bottom = (13, 92, 99), (8, 44, 66)
    grad = Image.new("RGBA", (S, S))
    px = grad.load()
    for y in range(S):
        c = lerp(top, bottom, y / (S - 1)) + (255,)
        for x in range(S):
            px[x, y] = c
    mask = Image.new("L", (S, S), 0)
    ImageDraw.Draw(mask).rounded_rectangle((40, 40, S - 40, S - 40), radius=210, fill=255)
    img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    img.paste(grad, (0, 0), mask)

    d = ImageDraw.Draw(img)
    # Receipt: white sheet with a torn (zig-zag) bottom edge.
    left, right, top_y, bottom_y = 270, 754, 190, 800
    teeth = 8
    w = (right - left) / teeth
    outline = [(left, top_y), (right, top_y), (right, bottom_y)]
    for i in range(teeth):
        x1 = right - (i + 0.5) * w
        x2 = right - (i + 1) * w
        outline += [(x1, bottom_y + 46), (x2, bottom_y)]
    d.polygon(outline, fill=(250, 250, 246, 255))
    # Printed lines on the receipt.
    ink = (8, 44, 66, 255)
    for i, (y, x_end) in enumerate([(270, 690), (340, 620), (410, 660)]):
        d.rounded_rectangle((330, y, x_end, y + 30), radius=15, fill=ink)
    d.rounded_rectangle((330, 660, 560, 700), radius=18, fill=ink)
    # Amber bolt across the lower right of the receipt.
    bolt = [(640, 440), (500, 660), (600, 660), (540, 860), (760, 590), (655, 590), (730, 440)]
    d.polygon(bolt, fill=(255, 176, 32, 255))
    d.line(bolt + [bolt[0]], fill=(200, 110, 0, 255), width=10, joint="curve")
    return img


def main() -> None:
    img = master()
    sizes = {"32x32.png": 32, "64x64.png": 64, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}
    for name, size in sizes.items():
        img.resize((size, size), Image.LANCZOS).save(HERE / name)
    img.save(HERE / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    img.save(HERE / "icon.icns")


if __name__ == "__main__":
    main()

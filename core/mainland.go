package core

// GCJ-02 is required, and applied by Chinese map providers (Tencent, AMap,
// the maps inside WeCom and Feishu), only in mainland China: the obfuscation
// is mandated by the PRC Surveying and Mapping Law (测绘法, art. 26) and the
// related rules on "publicly used maps", which do not apply in Hong Kong,
// Macau or Taiwan. Outside the mainland the maps report WGS-84 and shifting
// a point by the GCJ formula moves it by 100–600 m for nothing.
//
// The boundary below is a coarse outline drawn by hand for punchbot along
// the PRC's international land borders, with the sea widened to take in the
// coastal islands, and with Hong Kong, Macau, Taiwan (with Penghu), Kinmen
// and Matsu cut out. Check a change against a published boundary such as
// Natural Earth's admin-0 countries (public domain, naturalearthdata.com).
// Along land borders it is good to a few kilometres, and a town that close
// to one is misjudged at worst by the GCJ offset itself (under 600 m), the
// error every point outside the mainland suffered with the bounding box it
// replaces. The cut-outs follow the Shenzhen River, the middle of Shenzhen
// Bay and the Macau border gate more closely, because cities face each
// other across them.

// polygon is a closed ring of (lat, lng) vertices; the last joins the first.
type polygon [][2]float64

// contains reports whether the point is inside the ring (even-odd rule).
func (p polygon) contains(lat, lng float64) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		latI, lngI := p[i][0], p[i][1]
		latJ, lngJ := p[j][0], p[j][1]
		if (latI > lat) != (latJ > lat) && lng < lngI+(lat-latI)*(lngJ-lngI)/(latJ-latI) {
			in = !in
		}
	}
	return in
}

// mainlandOutline runs clockwise from the Amur at Mohe: the Russian border,
// the Korean border, the coast (through the Yellow, East and South China
// seas), the borders with Vietnam, Laos, Myanmar, India, Bhutan, Nepal,
// Pakistan, Afghanistan, Tajikistan, Kyrgyzstan, Kazakhstan and Mongolia.
var mainlandOutline = polygon{
	{53.56, 122.35}, {53.45, 124.00}, {53.20, 125.60}, {52.10, 126.60}, {50.25, 127.55}, {49.50, 129.60},
	{48.85, 130.65}, {47.70, 132.50}, {48.40, 134.40}, {48.30, 134.80}, {47.70, 134.80}, {46.80, 134.10},
	{45.30, 133.15}, {45.10, 131.90}, {44.90, 131.10}, {44.00, 131.30}, {42.85, 130.70}, {42.35, 130.75},
	{42.55, 130.20}, {42.95, 129.90}, {42.40, 129.00}, {42.00, 128.10}, {41.45, 126.90}, {40.90, 125.20},
	{40.14, 124.43}, {39.85, 124.10}, {39.20, 123.60}, {37.60, 123.10}, {36.90, 122.95}, {35.00, 120.90}, {34.20, 121.00},
	{32.40, 122.30}, {31.50, 122.80}, {30.70, 122.90}, {29.60, 122.95}, {28.00, 122.00}, {26.80, 121.00},
	{25.60, 120.20}, {24.90, 119.60}, {24.00, 118.50}, {23.40, 117.60}, {22.80, 116.40}, {22.45, 115.20},
	{22.30, 114.60}, {21.85, 114.00}, {21.50, 112.80}, {20.60, 111.80}, {19.80, 111.30}, {18.30, 110.30},
	{16.20, 112.90}, {15.70, 111.80}, {17.60, 109.20}, {18.10, 108.45}, {20.20, 108.50}, {21.45, 108.05},
	{21.55, 107.95}, {22.05, 106.95}, {22.40, 106.70}, {22.90, 106.65}, {23.00, 105.80}, {23.30, 105.30},
	{22.85, 104.50}, {22.75, 104.05}, {22.50, 103.95}, {22.70, 103.40}, {22.45, 102.60}, {22.10, 102.10},
	{21.20, 101.75}, {21.40, 101.15}, {21.75, 101.10}, {22.15, 100.55}, {21.50, 99.95}, {22.10, 99.20},
	{23.05, 99.50}, {23.60, 98.85}, {24.05, 98.60}, {23.95, 97.70}, {24.75, 97.55}, {25.50, 98.15},
	{25.95, 98.70}, {27.00, 98.70}, {27.60, 98.60}, {28.20, 98.20}, {28.40, 97.40}, {27.90, 96.90},
	{27.75, 95.90}, {27.70, 94.50}, {27.10, 92.90}, {27.80, 92.00}, {27.90, 90.50}, {28.25, 89.70},
	{27.85, 88.90}, {27.95, 88.10}, {28.00, 87.00}, {28.25, 85.90}, {28.35, 85.20}, {29.20, 83.60},
	{30.00, 82.20}, {30.40, 81.20}, {30.35, 80.00}, {31.00, 79.00}, {32.40, 78.45}, {32.60, 79.40},
	{33.20, 79.50}, {34.30, 78.90}, {35.50, 78.00}, {35.95, 76.60}, {36.90, 75.40}, {37.10, 74.80},
	{38.50, 74.70}, {38.95, 73.70}, {39.55, 73.60}, {40.05, 74.00}, {40.55, 75.60}, {40.30, 76.50},
	{41.05, 78.10}, {41.95, 80.20}, {43.00, 80.60}, {43.20, 80.40}, {44.25, 80.35}, {44.95, 79.95},
	{45.30, 81.90}, {46.80, 83.00}, {47.20, 85.00}, {48.00, 85.70}, {49.10, 87.00}, {49.15, 87.80},
	{48.10, 88.70}, {47.10, 90.30}, {45.30, 90.95}, {44.90, 93.50}, {44.20, 95.40}, {42.75, 96.35},
	{42.75, 100.80}, {42.40, 101.80}, {41.60, 104.50}, {41.90, 106.90}, {42.50, 109.00}, {42.55, 110.40},
	{43.60, 111.90}, {44.40, 111.55}, {45.10, 113.60}, {44.80, 114.50}, {45.70, 116.70}, {46.50, 119.00},
	{46.90, 119.90}, {47.65, 119.50}, {47.90, 118.50}, {49.90, 117.80}, {49.60, 116.70}, {50.30, 119.30},
	{51.20, 119.90}, {52.00, 120.70}, {53.30, 120.90},
}

// notMainland are the places inside mainlandOutline where GCJ-02 does not
// apply.
var notMainland = []polygon{
	// Hong Kong: the Shenzhen River and Sha Tau Kok, Mirs Bay west of the
	// Dapeng peninsula, the open sea, the Pearl River estuary west of
	// Lantau, then the middle of Shenzhen Bay (Shekou stays in Shenzhen).
	{
		{22.515, 114.020}, {22.527, 114.080}, {22.531, 114.115}, {22.545, 114.160}, {22.556, 114.222},
		{22.565, 114.400}, {22.560, 114.445}, {22.500, 114.445}, {22.140, 114.500}, {22.140, 113.840},
		{22.200, 113.820}, {22.300, 113.830}, {22.420, 113.860}, {22.450, 113.900},
	},
	// Macau: the peninsula below the border gate, Taipa and Coloane; Hengqin
	// (mainland) to the west.
	{
		{22.2165, 113.528}, {22.2165, 113.556}, {22.195, 113.565}, {22.160, 113.600}, {22.105, 113.600},
		{22.105, 113.547}, {22.160, 113.545}, {22.190, 113.528},
	},
	// Taiwan with Penghu, Green Island and Orchid Island.
	{
		{25.35, 121.45}, {25.35, 122.10}, {24.60, 122.05}, {23.00, 121.60}, {21.95, 121.75}, {21.80, 120.75},
		{22.40, 120.15}, {23.10, 119.30}, {23.85, 119.40}, {24.60, 120.55}, {25.10, 120.95},
	},
	// Kinmen (Greater and Lesser), between Xiamen island and Dadeng.
	{{24.520, 118.230}, {24.520, 118.480}, {24.380, 118.480}, {24.380, 118.230}},
	// Matsu: Nangan and Beigan, Dongyin, Juguang.
	{{26.260, 119.900}, {26.260, 120.030}, {26.130, 120.030}, {26.130, 119.900}},
	{{26.400, 120.450}, {26.400, 120.520}, {26.340, 120.520}, {26.340, 120.450}},
	{{26.000, 119.920}, {26.000, 120.000}, {25.940, 120.000}, {25.940, 119.920}},
}

// inMainlandChina reports whether GCJ-02 applies at the point.
func inMainlandChina(lat, lng float64) bool {
	// The outline's bounding box answers most of the world at once.
	if lat < 15.5 || lat > 53.6 || lng < 73.5 || lng > 134.9 || !mainlandOutline.contains(lat, lng) {
		return false
	}
	for _, p := range notMainland {
		if p.contains(lat, lng) {
			return false
		}
	}
	return true
}

package core_test

import (
	"testing"

	"github.com/punchbot/punchbot/core"
)

// GCJ-02 → WGS-84 moves points in mainland China by a few hundred metres
// and leaves every other place as it is: Hong Kong, Macau and Taiwan use
// WGS-84 maps, and so do China's neighbours.
func TestGCJ02AppliesOnlyInMainlandChina(t *testing.T) {
	tests := []struct {
		place    string
		lat, lng float64
		mainland bool
	}{
		{"Beijing, Tiananmen", 39.9087, 116.3975, true},
		{"Shanghai, the Bund", 31.2400, 121.4900, true},
		{"Shenzhen, Futian", 22.5431, 114.0579, true},
		{"Shenzhen, Luohu by the Lo Wu crossing", 22.5480, 114.1310, true},
		{"Shenzhen, Shekou", 22.4800, 113.9100, true},
		{"Zhuhai, Gongbei by the Macau border gate", 22.2210, 113.5480, true},
		{"Zhuhai, Hengqin", 22.1200, 113.5200, true},
		{"Guangzhou", 23.1291, 113.2644, true},
		{"Xiamen island", 24.4798, 118.0894, true},
		{"Fuzhou", 26.0745, 119.2965, true},
		{"Pingtan island", 25.5000, 119.7800, true},
		{"Haikou", 20.0440, 110.3420, true},
		{"Sanya", 18.2528, 109.5119, true},
		{"Qingdao", 36.0671, 120.3826, true},
		{"Dalian", 38.9140, 121.6147, true},
		{"Harbin", 45.8038, 126.5350, true},
		{"Hunchun", 42.8680, 130.3580, true},
		{"Urumqi", 43.8256, 87.6168, true},
		{"Kashgar", 39.4704, 75.9898, true},
		{"Lhasa", 29.6520, 91.1721, true},
		{"Kunming", 25.0389, 102.7183, true},
		{"Chengdu", 30.5728, 104.0668, true},
		{"Hohhot", 40.8426, 111.7490, true},

		{"Hong Kong, Central", 22.2819, 114.1582, false},
		{"Hong Kong, Tsim Sha Tsui", 22.2976, 114.1722, false},
		{"Hong Kong, Sheung Shui", 22.5017, 114.1280, false},
		{"Hong Kong, Tin Shui Wai", 22.4600, 114.0040, false},
		{"Hong Kong airport", 22.3080, 113.9185, false},
		{"Macau peninsula", 22.1987, 113.5439, false},
		{"Macau, Taipa", 22.1570, 113.5560, false},
		{"Taipei", 25.0330, 121.5654, false},
		{"Kaohsiung", 22.6273, 120.3014, false},
		{"Penghu, Magong", 23.5655, 119.5862, false},
		{"Kinmen", 24.4360, 118.3180, false},
		{"Matsu, Nangan", 26.1600, 119.9500, false},
		{"Seoul", 37.5665, 126.9780, false},
		{"Pyongyang", 39.0392, 125.7625, false},
		{"Tokyo", 35.6762, 139.6503, false},
		{"Vladivostok", 43.1155, 131.8855, false},
		{"Ulaanbaatar", 47.8864, 106.9057, false},
		{"Hanoi", 21.0278, 105.8342, false},
		{"Singapore", 1.3521, 103.8198, false},
		{"Manila", 14.5995, 120.9842, false},
		{"Bangkok", 13.7563, 100.5018, false},
		{"Kathmandu", 27.7172, 85.3240, false},
		{"Thimphu", 27.4728, 89.6390, false},
		{"New Delhi", 28.6139, 77.2090, false},
		{"Almaty", 43.2380, 76.8890, false},
		{"Yangon", 16.8409, 96.1735, false},
	}
	for _, tc := range tests {
		lat, lng := core.GCJ02ToWGS84(tc.lat, tc.lng)
		moved := core.DistanceM(lat, lng, tc.lat, tc.lng)
		switch {
		case tc.mainland && (moved < 50 || moved > 1000):
			t.Errorf("%s: GCJ-02 → WGS-84 moved it %.0f m, want the mainland offset (50–1000 m)", tc.place, moved)
		case !tc.mainland && moved != 0:
			t.Errorf("%s: GCJ-02 → WGS-84 moved it %.0f m, want it unchanged outside the mainland", tc.place, moved)
		}
		lat, lng = core.WGS84ToGCJ02(tc.lat, tc.lng)
		if moved := core.DistanceM(lat, lng, tc.lat, tc.lng); (moved > 0) != tc.mainland {
			t.Errorf("%s: WGS-84 → GCJ-02 moved it %.0f m, mainland %v", tc.place, moved, tc.mainland)
		}
	}
}
